"""Escalations: paused runs waiting for the owner, durable across restarts and days.

The conditional ``UPDATE ... WHERE state='open'`` is what makes the first verified
answer win, whichever channel it arrives on.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from dataclasses import dataclass

from bot.actions import Action, Escalate, action_from_dict, action_to_dict
from bot.events import Event
from bot.store.db import Database, Tx, defer


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation:
    id: int
    event_id: str
    thread: str
    rule: str
    question: str
    reason: str
    options: tuple[str, ...]
    option_actions: tuple[tuple[Action, ...], ...]
    default_option: int | None
    event: Event
    nonce: str
    state: str
    created_at: float
    deadline: float
    reminders_sent: int
    answer: str
    answered_via: str


def _from_row(row: sqlite3.Row) -> Escalation:
    return Escalation(
        id=row["id"],
        event_id=row["event_id"],
        thread=row["thread"],
        rule=row["rule"],
        question=row["question"],
        reason=row["reason"],
        options=tuple(json.loads(row["options"])),
        option_actions=tuple(
            tuple(action_from_dict(a) for a in group) for group in json.loads(row["option_actions"])
        ),
        default_option=row["default_option"],
        event=Event.from_json(row["event"]),
        nonce=row["nonce"],
        state=row["state"],
        created_at=row["created_at"],
        deadline=row["deadline"],
        reminders_sent=row["reminders_sent"],
        answer=row["answer"],
        answered_via=row["answered_via"],
    )


class Escalations:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def create_in(
        tx: Tx,
        *,
        key: str,
        action: Escalate,
        event: Event,
        thread: str,
        rule: str,
        deadline: float,
    ) -> tuple[int, str, bool]:
        """Returns (id, nonce, created). Idempotent on ``key``."""
        cur = await tx.execute("SELECT id, nonce FROM escalations WHERE key=?", (key,))
        row = await cur.fetchone()
        if row is not None:
            return int(row["id"]), str(row["nonce"]), False
        nonce = secrets.token_urlsafe(9)
        cur = await tx.execute(
            "INSERT INTO escalations (key, event_id, thread, rule, question, reason, options,"
            " option_actions, default_option, event, nonce, created_at, deadline)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                key,
                event.id,
                thread,
                rule,
                action.question,
                action.reason,
                json.dumps(list(action.options), ensure_ascii=False),
                json.dumps([[action_to_dict(a) for a in g] for g in action.option_actions]),
                action.default_option,
                event.to_json(),
                nonce,
                time.time(),
                deadline,
            ),
        )
        assert cur.lastrowid is not None
        return int(cur.lastrowid), nonce, True

    @staticmethod
    async def open_id_by_key_in(tx: Tx, key: str) -> int | None:
        """The open escalation created under ``key``, if there is one."""
        cur = await tx.execute("SELECT id FROM escalations WHERE key=? AND state='open'", (key,))
        row = await cur.fetchone()
        return int(row["id"]) if row is not None else None

    async def get(self, escalation_id: int) -> Escalation | None:
        row = await self.db.fetchone("SELECT * FROM escalations WHERE id=?", (escalation_id,))
        return _from_row(row) if row else None

    async def open(self) -> list[Escalation]:
        rows = await self.db.fetchall("SELECT * FROM escalations WHERE state='open' ORDER BY id")
        return [_from_row(r) for r in rows]

    async def by_prompt_ref(self, connector: str, ref: str) -> Escalation | None:
        row = await self.db.fetchone(
            "SELECT e.* FROM escalations e JOIN prompt_refs p ON p.escalation_id = e.id"
            " WHERE p.connector=? AND p.ref=?",
            (connector, ref),
        )
        return _from_row(row) if row else None

    async def by_prompt_ref_any(self, ref: str) -> Escalation | None:
        row = await self.db.fetchone(
            "SELECT e.* FROM escalations e JOIN prompt_refs p ON p.escalation_id = e.id WHERE p.ref=?",
            (ref,),
        )
        return _from_row(row) if row else None

    @staticmethod
    async def add_prompt_ref_in(tx: Tx, *, connector: str, ref: str, escalation_id: int) -> None:
        await defer(
            tx,
            "INSERT OR IGNORE INTO prompt_refs (connector, ref, escalation_id) VALUES (?,?,?)",
            (connector, ref, escalation_id),
        )

    async def prompt_refs(self, escalation_id: int) -> list[tuple[str, str]]:
        rows = await self.db.fetchall(
            "SELECT connector, ref FROM prompt_refs WHERE escalation_id=?", (escalation_id,)
        )
        return [(r["connector"], r["ref"]) for r in rows]

    @staticmethod
    async def mark_reminded_in(tx: Tx, ids: list[int], *, reminders_sent: int) -> None:
        marks = ",".join("?" * len(ids))
        sql = f"UPDATE escalations SET reminders_sent=? WHERE id IN ({marks})"
        await tx.execute(sql, (reminders_sent, *ids))

    @staticmethod
    async def close_in(tx: Tx, escalation_id: int, *, state: str, answer: str, via: str) -> bool:
        """True only for the first close: the first verified answer wins."""
        cur = await tx.execute(
            "UPDATE escalations SET state=?, answer=?, answered_via=?, answered_at=?"
            " WHERE id=? AND state='open'",
            (state, answer[:4000], via, time.time(), escalation_id),
        )
        return cur.rowcount == 1

    @staticmethod
    async def extend_in(tx: Tx, escalation_id: int, seconds: float) -> None:
        """An open question's deadline moves on by ``seconds`` (its task was paused)."""
        await tx.execute(
            "UPDATE escalations SET deadline = deadline + ? WHERE id=? AND state='open'",
            (seconds, escalation_id),
        )

    async def due(self, now: float) -> list[Escalation]:
        rows = await self.db.fetchall(
            "SELECT * FROM escalations WHERE state='open' AND deadline<=? ORDER BY id", (now,)
        )
        return [_from_row(r) for r in rows]

    async def recent(self, *, since: float) -> list[Escalation]:
        rows = await self.db.fetchall(
            "SELECT * FROM escalations WHERE created_at>=? OR answered_at>=? ORDER BY id",
            (since, since),
        )
        return [_from_row(r) for r in rows]
