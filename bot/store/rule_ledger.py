"""Each rule's record with the owner (drafts sent unchanged, sent after an edit,
discarded; automatic actions undone) and the autonomy level the owner confirmed for it,
which wins over the level in the rule file."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from bot.store.db import Database, Tx


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleRecord:
    rule: str
    sent_unchanged: int = 0
    sent_edited: int = 0
    changed_sum: float = 0.0
    discarded: int = 0
    undone: int = 0
    streak: int = 0  # unchanged sends since the last edit, discard or undo
    level: str = ""  # "" = the rule file's level
    proposed: bool = False

    @property
    def mean_changed(self) -> float:
        return self.changed_sum / self.sent_edited if self.sent_edited else 0.0

    def summary(self) -> str:
        parts = [f"{self.sent_unchanged} sent unchanged", f"{self.sent_edited} edited"]
        if self.sent_edited:
            parts[-1] += f" ({self.mean_changed:.0%} changed on average)"
        parts += [f"{self.discarded} discarded", f"{self.undone} undone"]
        return ", ".join(parts)


def _from_row(row: sqlite3.Row) -> RuleRecord:
    return RuleRecord(
        rule=str(row["rule"]),
        sent_unchanged=int(row["sent_unchanged"]),
        sent_edited=int(row["sent_edited"]),
        changed_sum=float(row["changed_sum"]),
        discarded=int(row["discarded"]),
        undone=int(row["undone"]),
        streak=int(row["streak"]),
        level=str(row["level"]),
        proposed=bool(row["proposed"]),
    )


_COUNTS = {
    "sent": "sent_unchanged=sent_unchanged+1, streak=streak+1",
    "edited": "sent_edited=sent_edited+1, changed_sum=changed_sum+?, streak=0",
    "discarded": "discarded=discarded+1, streak=0",
    "undone": "undone=undone+1, streak=0",
}


class RuleLedger:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def count_in(tx: Tx, rule: str, outcome: str, *, changed: float = 0.0) -> RuleRecord:
        """Count one outcome (sent | edited | discarded | undone); the record after it."""
        update = _COUNTS[outcome]
        await tx.execute(
            "INSERT OR IGNORE INTO rule_ledger (rule, updated_at) VALUES (?, ?)", (rule, time.time())
        )
        params: tuple[object, ...] = (changed,) if outcome == "edited" else ()
        await tx.execute(
            f"UPDATE rule_ledger SET {update}, updated_at=? WHERE rule=?", (*params, time.time(), rule)
        )
        record = await RuleLedger.get_in(tx, rule)
        assert record is not None
        return record

    @staticmethod
    async def get_in(tx: Tx, rule: str) -> RuleRecord | None:
        cur = await tx.execute("SELECT * FROM rule_ledger WHERE rule=?", (rule,))
        row = await cur.fetchone()
        return _from_row(row) if row else None

    @staticmethod
    async def set_level_in(tx: Tx, rule: str, level: str) -> None:
        """The owner's confirmed level (or Deputy's lowering); clears an open proposal."""
        await tx.execute(
            "INSERT OR IGNORE INTO rule_ledger (rule, updated_at) VALUES (?, ?)", (rule, time.time())
        )
        await tx.execute(
            "UPDATE rule_ledger SET level=?, proposed=0, streak=0, updated_at=? WHERE rule=?",
            (level, time.time(), rule),
        )

    @staticmethod
    async def set_proposed_in(tx: Tx, rule: str, proposed: bool) -> None:
        await tx.execute(
            "UPDATE rule_ledger SET proposed=?, updated_at=? WHERE rule=?", (int(proposed), time.time(), rule)
        )

    async def get(self, rule: str) -> RuleRecord | None:
        row = await self.db.fetchone("SELECT * FROM rule_ledger WHERE rule=?", (rule,))
        return _from_row(row) if row else None

    async def all(self) -> dict[str, RuleRecord]:
        rows = await self.db.fetchall("SELECT * FROM rule_ledger ORDER BY rule")
        return {str(r["rule"]): _from_row(r) for r in rows}
