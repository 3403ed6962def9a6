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
