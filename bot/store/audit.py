"""The audit log: every decision with its rule, reasons, actions, what the gate blocked,
and what it cost. ``deputy log`` and the digest read it."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, replace

from bot.redact import scrub, untrusted
from bot.store.db import Database, Tx, defer

# Reasons the LLM agent copies from the model's own words (bot/agent/llm_agent.py).
_MODEL_PREFIX = "model: "


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    event_id: str
    outcome: str  # handled | escalated | ignored | refused | quarantined | answered ...
    channel: str = ""
    sender: str = ""
    subject: str = ""
    rule: str = ""
    reasons: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()
    llm_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    duration_ms: float = 0.0
    at: float = 0.0


class Audit:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def add_in(tx: Tx, entry: AuditEntry) -> None:
        """Everything stored is redacted of the configured secrets; what a model wrote
        (its reasons, and the texts of the actions it proposed) is marked untrusted."""
        model = entry.llm_calls > 0
        entry = replace(
            entry,
            sender=scrub(entry.sender),
            subject=scrub(entry.subject),
            reasons=tuple(untrusted(r) if r.startswith(_MODEL_PREFIX) else scrub(r) for r in entry.reasons),
            actions=tuple(untrusted(a) if model else scrub(a) for a in entry.actions),
            blocked=tuple(untrusted(b) if model else scrub(b) for b in entry.blocked),
        )
        await defer(
            tx,
            "INSERT INTO audit (at, event_id, channel, sender, subject, rule, outcome, reasons,"
            " actions, blocked, llm_calls, tokens_in, tokens_out, duration_ms)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                entry.at or time.time(),
                entry.event_id,
                entry.channel,
                entry.sender,
                entry.subject[:300],
                entry.rule,
                entry.outcome,
                _json_list(entry.reasons),
                _json_list(entry.actions),
                _json_list(entry.blocked),
                entry.llm_calls,
                entry.tokens_in,
                entry.tokens_out,
                entry.duration_ms,
            ),
        )

    async def recent(self, *, limit: int = 50, since: float = 0.0) -> list[AuditEntry]:
        rows = await self.db.fetchall(
            "SELECT * FROM audit WHERE at>=? ORDER BY id DESC LIMIT ?", (since, limit)
        )
        return [_entry(r) for r in reversed(rows)]

    # ----- the console's views (bot/console) ---------------------------------------------
    async def page(
        self, *, before: int = 0, limit: int = 50, where: dict[str, str] | None = None, search: str = ""
    ) -> list[tuple[int, AuditEntry]]:
        """(id, entry) newest first, older than ``before`` (keyset paging: the cost of a
        page does not grow with how far back it is). ``where``: exact channel, rule,
        sender, outcome; ``search``: a substring of the subject, sender, reasons or actions."""
        clauses: list[str] = ["id<?"]
        params: list[object] = [before or 2**62]
        for column in ("channel", "rule", "sender", "outcome"):
            value = (where or {}).get(column, "")
            if value:
                clauses.append(f"{column}=?")
                params.append(value)
        if search:
            like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append(
                "(subject LIKE ? ESCAPE '\\' OR sender LIKE ? ESCAPE '\\'"
                " OR reasons LIKE ? ESCAPE '\\' OR actions LIKE ? ESCAPE '\\')"
            )
            params += [like] * 4
        rows = await self.db.fetchall(
            f"SELECT * FROM audit WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ?", (*params, limit)
        )
        return [(int(r["id"]), _entry(r)) for r in rows]

    async def for_events(self, event_ids: list[str]) -> dict[str, list[AuditEntry]]:
        """The decisions taken on each of these events, oldest first."""
        wanted = list(dict.fromkeys(event_ids))[:500]
        if not wanted:
            return {}
        rows = await self.db.fetchall(
            f"SELECT * FROM audit WHERE event_id IN ({','.join('?' * len(wanted))}) ORDER BY id", wanted
        )
        found: dict[str, list[AuditEntry]] = {}
        for r in rows:
            found.setdefault(str(r["event_id"]), []).append(_entry(r))
        return found

    async def counts(self, column: str) -> dict[tuple[str, str], int]:
        """(value of ``column``, outcome) -> decisions: a rule's record, the metrics."""
        if column not in ("rule", "channel", "outcome"):
            raise ValueError(f"not a column to count by: {column}")
        rows = await self.db.fetchall(
            f"SELECT {column} AS k, outcome, COUNT(*) AS n FROM audit GROUP BY 1, 2"
        )
        return {(str(r["k"]), str(r["outcome"])): int(r["n"]) for r in rows}

    async def choices(self, column: str, *, limit: int = 200) -> list[str]:
        """The values ``column`` has taken, for the console's filters."""
        if column not in ("rule", "channel", "outcome"):
            raise ValueError(f"not a column to filter by: {column}")
        rows = await self.db.fetchall(
            f"SELECT DISTINCT {column} AS k FROM audit WHERE {column}!='' ORDER BY 1 LIMIT ?", (limit,)
        )
        return [str(r["k"]) for r in rows]

    async def spend(self, *, since: float, by: str) -> list[tuple[str, int, int, int]]:
        """(day or rule, model calls, tokens in, tokens out) since a moment, for decisions
        that called a model. ``by``: ``day`` (local calendar day) or ``rule``."""
        key = {"day": "date(at, 'unixepoch', 'localtime')", "rule": "rule"}[by]
        rows = await self.db.fetchall(
            f"SELECT {key} AS k, SUM(llm_calls) AS c, SUM(tokens_in) AS i, SUM(tokens_out) AS o"
            " FROM audit WHERE at>=? AND llm_calls>0 GROUP BY 1 ORDER BY 1",
            (since,),
        )
        return [(str(r["k"]), int(r["c"]), int(r["i"]), int(r["o"])) for r in rows]

    async def totals(self) -> tuple[int, int, int, int]:
        """(decisions, model calls, tokens in, tokens out) over all time: the metrics."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS n, COALESCE(SUM(llm_calls), 0) AS c, COALESCE(SUM(tokens_in), 0) AS i,"
            " COALESCE(SUM(tokens_out), 0) AS o FROM audit"
        )
        assert row is not None
        return int(row["n"]), int(row["c"]), int(row["i"]), int(row["o"])

    async def last_id(self) -> int:
        row = await self.db.fetchone("SELECT COALESCE(MAX(id), 0) AS n FROM audit")
        return int(row["n"]) if row is not None else 0

    async def first_of(self, event_ids: list[str]) -> dict[str, AuditEntry]:
        """The first entry of each listed event: what was decided when it arrived."""
        found: dict[str, AuditEntry] = {}
        for start in range(0, len(event_ids), 500):
            batch = event_ids[start : start + 500]
            rows = await self.db.fetchall(
                f"SELECT * FROM audit WHERE event_id IN ({','.join('?' * len(batch))}) ORDER BY id", batch
            )
            for row in rows:
                found.setdefault(str(row["event_id"]), _entry(row))
        return found

    async def rule_of(self, event_id: str) -> str:
        """The rule that decided ``event_id`` ("" when none did)."""
        row = await self.db.fetchone(
            "SELECT rule FROM audit WHERE event_id=? AND rule != '' ORDER BY id LIMIT 1", (event_id,)
        )
        return str(row["rule"]) if row else ""


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        at=row["at"],
        event_id=row["event_id"],
        channel=row["channel"],
        sender=row["sender"],
        subject=row["subject"],
        rule=row["rule"],
        outcome=row["outcome"],
        reasons=tuple(json.loads(row["reasons"])),
        actions=tuple(json.loads(row["actions"])),
        blocked=tuple(json.loads(row["blocked"])),
        llm_calls=row["llm_calls"],
        tokens_in=row["tokens_in"],
        tokens_out=row["tokens_out"],
        duration_ms=row["duration_ms"],
    )


# One encoder for every row: json.dumps with options builds a new encoder per call,
# and an audit row has three lists (issue 3: JSON was a tenth of the time per event).
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def _json_list(items: tuple[str, ...]) -> str:
    return _ENCODE(list(items)) if items else "[]"
