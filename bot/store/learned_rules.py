"""Learned rules: the owner's "always do this", proposed, confirmed, rolled back.

Only rows live here; turning a record into a ``Rule`` and the conversation around a
proposal are in ``bot/rules/learned.py``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.actions import Action, File, Forward, Ignore, Reply, action_from_dict, action_to_dict
from bot.store.db import Database, Tx, defer

STATES = ("proposed", "active", "rejected", "rolled_back")


@dataclass(frozen=True, slots=True, kw_only=True)
class LearnedRule:
    id: int
    escalation_id: int
    answer: str
    scope: str
    channel: str
    actions: tuple[Action, ...]
    expires: str | None
    state: str
    confirm_escalation_id: int | None
    created_at: float
    updated_at: float

    @property
    def name(self) -> str:
        return f"learned-{self.id}"

    def expired(self, today: date) -> bool:
        return self.expires is not None and today.isoformat() > self.expires

    def describe(self) -> str:
        return "; ".join(_describe(a) for a in self.actions)


def _describe(action: Action) -> str:
    match action:
        case Reply():
            return f'reply "{action.text[:80]}"'
        case File():
            return f"file into {action.folder}"
        case Forward():
            return f"forward to {', '.join(action.to)}"
        case Ignore():
            return "ignore"
        case _:
            return type(action).__name__.lower()


def _record(row: sqlite3.Row) -> LearnedRule:
    return LearnedRule(
        id=row["id"],
        escalation_id=row["escalation_id"],
        answer=row["answer"],
        scope=row["scope"],
        channel=row["channel"],
        actions=tuple(action_from_dict(a) for a in json.loads(row["actions"])),
        expires=row["expires"],
        state=row["state"],
        confirm_escalation_id=row["confirm_escalation_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class LearnedRules:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ----- writes inside a caller's transaction ---------------------------------------
    @staticmethod
    async def propose_in(
        tx: Tx,
        *,
        escalation_id: int,
        answer: str,
        scope: str,
        channel: str,
        actions: tuple[Action, ...],
        expires: str | None,
    ) -> int | None:
        """A new ``proposed`` rule; None when this escalation already proposed one."""
        now = time.time()
        cur = await tx.execute(
            "INSERT OR IGNORE INTO learned_rules (escalation_id, answer, scope, channel, actions,"
            " expires, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                escalation_id,
                answer[:4000],
                scope,
                channel,
                json.dumps([action_to_dict(a) for a in actions]),
                expires,
                now,
                now,
            ),
        )
        if cur.rowcount != 1:
            return None
        return int(cur.lastrowid or 0)

    @staticmethod
    async def set_confirmation_in(tx: Tx, rule_id: int, escalation_id: int) -> None:
        """Remember the "learn this?" question that asks the owner about ``rule_id``."""
        await defer(
            tx,
            "UPDATE learned_rules SET confirm_escalation_id=? WHERE id=?",
            (escalation_id, rule_id),
        )

    @staticmethod
    async def set_state_in(tx: Tx, rule_id: int, state: str, *, allowed: tuple[str, ...]) -> bool:
        """Move ``rule_id`` to ``state`` only from one of the ``allowed`` states."""
        assert state in STATES
        marks = ",".join("?" * len(allowed))
        cur = await tx.execute(
            f"UPDATE learned_rules SET state=?, updated_at=? WHERE id=? AND state IN ({marks})",
            (state, time.time(), rule_id, *allowed),
        )
        return cur.rowcount == 1

    # ----- reads inside a caller's transaction ----------------------------------------
    @staticmethod
    async def get_in(tx: Tx, rule_id: int) -> LearnedRule | None:
        cur = await tx.execute("SELECT * FROM learned_rules WHERE id=?", (rule_id,))
        row = await cur.fetchone()
        return _record(row) if row else None

    @staticmethod
    async def by_confirmation_in(tx: Tx, escalation_id: int) -> int | None:
        """The rule a "learn this?" escalation asks about, if it is one."""
        cur = await tx.execute("SELECT id FROM learned_rules WHERE confirm_escalation_id=?", (escalation_id,))
        row = await cur.fetchone()
        return int(row[0]) if row else None

    # ----- reads --------------------------------------------------------------------
    async def get(self, rule_id: int) -> LearnedRule | None:
        row = await self.db.fetchone("SELECT * FROM learned_rules WHERE id=?", (rule_id,))
        return _record(row) if row else None

    async def all(self) -> list[LearnedRule]:
        rows = await self.db.fetchall("SELECT * FROM learned_rules ORDER BY id")
        return [_record(r) for r in rows]

    async def active(self) -> list[LearnedRule]:
        rows = await self.db.fetchall("SELECT * FROM learned_rules WHERE state='active' ORDER BY id")
        return [_record(r) for r in rows]

    async def fingerprint(self) -> tuple[Any, ...]:
        """Changes whenever a learned rule is added or changes state; cheap to poll."""
        row = await self.db.fetchone("SELECT COUNT(*), MAX(updated_at), SUM(id) FROM learned_rules")
        return tuple(row) if row else ()
