"""Durable timers (follow-ups, reminders, deadlines). Firing one inserts a ``timer_due``
event into the inbox in the same transaction, so a timer fires exactly once.

States: pending -> fired | cancelled; a paused task's timers wait as ``held`` (never
fired) or ``deferred`` (fired into a task already paused, handed back unacted) until the
task resumes (bot/tasks/pauses.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.events import Event
from bot.store.db import Database, Tx, defer, touch
from bot.store.inbox import Inbox


@dataclass(frozen=True, slots=True)
class Timer:
    key: str
    due_at: float
    kind: str
    payload: dict[str, str]
    state: str = "pending"


class Timers:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def add_in(tx: Tx, *, key: str, due_at: float, kind: str, payload: dict[str, str]) -> None:
        touch(tx, "timers")
        await defer(
            tx,
            "INSERT OR IGNORE INTO timers (key, due_at, kind, payload) VALUES (?,?,?,?)",
            (key, due_at, kind, json.dumps(payload, sort_keys=True)),
        )

    @staticmethod
    async def reminders_due_in(tx: Tx, *, until: float) -> list[Any]:
        """Escalation reminders pending or fired, due by ``until``, soonest first."""
        cur = await tx.execute(
            "SELECT key, payload, state FROM timers WHERE kind='escalation_reminder'"
            " AND state IN ('pending', 'fired') AND due_at <= ? ORDER BY due_at",
            (until,),
        )
        return list(await cur.fetchall())

    @staticmethod
    async def cancel_key_in(tx: Tx, key: str) -> None:
        await tx.execute("UPDATE timers SET state='cancelled' WHERE key=?", (key,))

    @staticmethod
    async def cancel_in(tx: Tx, *, key_prefix: str) -> None:
        """Pending and held timers under ``key_prefix`` never fire."""
        await defer(
            tx,
            "UPDATE timers SET state='cancelled' WHERE state IN ('pending', 'held') AND key LIKE ?",
            (key_prefix + "%",),
        )

    @staticmethod
    async def hold_in(tx: Tx, *, prefixes: tuple[str, ...], keys: tuple[str, ...] = ()) -> int:
        """A paused task's pending timers wait, unfired, until ``release_in``."""
        where, params = _scope(prefixes, keys)
        cur = await tx.execute(f"UPDATE timers SET state='held' WHERE state='pending' AND {where}", params)
        return int(cur.rowcount)

    @staticmethod
    async def cancel_scope_in(tx: Tx, *, prefixes: tuple[str, ...], keys: tuple[str, ...] = ()) -> None:
        """Pending and held timers in the scope never fire (a task called off)."""
        where, params = _scope(prefixes, keys)
        await tx.execute(
            f"UPDATE timers SET state='cancelled' WHERE state IN ('pending', 'held') AND {where}", params
        )

    @staticmethod
    async def defer_in(tx: Tx, key: str) -> None:
        """A timer that fired into a task paused meanwhile is handed back unacted on: it
        waits like a held one, but its firing (the inbox event ``timer:KEY``) is spent."""
        await tx.execute("UPDATE timers SET state='deferred' WHERE key=? AND state='fired'", (key,))

    @staticmethod
    async def held_in(tx: Tx, *, prefixes: tuple[str, ...], keys: tuple[str, ...] = ()) -> list[Timer]:
        where, params = _scope(prefixes, keys)
        cur = await tx.execute(
            "SELECT key, due_at, kind, payload, state FROM timers"
            f" WHERE state IN ('held', 'deferred') AND {where} ORDER BY due_at",
            params,
        )
        return [Timer(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in await cur.fetchall()]

    @staticmethod
    async def release_in(tx: Tx, timer: Timer, *, due_at: float, rekey: str) -> None:
        """A held timer is pending again, due at ``due_at``. A deferred one has fired once
        already (its inbox id is taken), so it is re-armed as a new timer named ``rekey``."""
        touch(tx, "timers")
        if timer.state == "held":
            await tx.execute(
                "UPDATE timers SET state='pending', due_at=? WHERE key=? AND state='held'",
                (due_at, timer.key),
            )
            return
        await tx.execute("UPDATE timers SET state='fired' WHERE key=? AND state='deferred'", (timer.key,))
        await Timers.add_in(tx, key=rekey, due_at=due_at, kind=timer.kind, payload=timer.payload)

    @staticmethod
    async def drop_held_in(tx: Tx, timer: Timer) -> None:
        """A held timer that is not to fire at all (a recurring occurrence missed in a pause)."""
        state = "cancelled" if timer.state == "held" else "fired"
        await tx.execute(
            "UPDATE timers SET state=? WHERE key=? AND state IN ('held', 'deferred')", (state, timer.key)
        )

    @staticmethod
    async def state_in(tx: Tx, key: str) -> str | None:
        cur = await tx.execute("SELECT state FROM timers WHERE key=?", (key,))
        row = await cur.fetchone()
        return str(row["state"]) if row is not None else None

    @staticmethod
    async def settle_in(tx: Tx, key: str) -> tuple[str, dict[str, str]] | None:
        """The end of a watch (a hand-off's result came back): a pending timer is
        cancelled (returned state "pending": in time), a fired one is marked ``late``
        (returned "fired", or "late" when asked again); None when there is no such
        timer. Returns the state it found and the timer's payload. Safe to repeat."""
        cur = await tx.execute("SELECT state, payload FROM timers WHERE key=?", (key,))
        row = await cur.fetchone()
        if row is None:
            return None
        state = str(row["state"])
        if state == "pending":
            await tx.execute("UPDATE timers SET state='cancelled' WHERE key=? AND state='pending'", (key,))
        elif state == "fired":
            await tx.execute("UPDATE timers SET state='late' WHERE key=? AND state='fired'", (key,))
        return state, json.loads(row["payload"])

    async def of_kind(self, kind: str, *, states: tuple[str, ...]) -> list[tuple[Timer, str]]:
        """Timers of ``kind`` in ``states``, soonest first, with their state."""
        marks = ",".join("?" * len(states))
        rows = await self.db.fetchall(
            f"SELECT key, due_at, kind, payload, state FROM timers WHERE kind=? AND state IN ({marks})"
            " ORDER BY due_at",
            (kind, *states),
        )
        return [(Timer(r["key"], r["due_at"], r["kind"], json.loads(r["payload"])), r["state"]) for r in rows]

    @staticmethod
    async def shift_pending_in(tx: Tx, seconds: float) -> int:
        """Move every pending timer by ``seconds`` (the wall clock stepped by as much)."""
        cur = await tx.execute("UPDATE timers SET due_at = due_at + ? WHERE state='pending'", (seconds,))
        return int(cur.rowcount)

    async def next_due_at(self) -> float | None:
        row = await self.db.fetchone("SELECT MIN(due_at) FROM timers WHERE state='pending'")
        return float(row[0]) if row and row[0] is not None else None

    async def fire_due(self, *, now: float) -> int:
        """Turn every due timer into an inbox event, atomically per timer."""
        rows = await self.db.fetchall(
            "SELECT key, due_at, kind, payload FROM timers WHERE state='pending' AND due_at<=?"
            " ORDER BY due_at LIMIT 200",
            (now,),
        )
        fired = 0
        for row in rows:
            payload = json.loads(row["payload"])
            event = Event(
                id=f"timer:{row['key']}",
                channel=payload.get("channel", "scheduler"),
                kind="timer_due",
                thread=payload.get("thread", row["key"]),
                sender="",
                received_at=datetime.fromtimestamp(now, UTC),
                subject=row["kind"],
                refs={**payload, "timer_kind": row["kind"], "timer_key": row["key"]},
            )
            async with self.db.transaction() as tx:
                # Re-checked inside the transaction: a timer cancelled (an answered
                # escalation) between the SELECT and here must not fire.
                cur = await tx.execute(
                    "UPDATE timers SET state='fired' WHERE key=? AND state='pending'", (row["key"],)
                )
                if cur.rowcount == 1:
                    await Inbox.add_in(tx, event)
                    fired += 1
        return fired

    async def pending(self) -> list[Timer]:
        rows = await self.db.fetchall(
            "SELECT key, due_at, kind, payload FROM timers WHERE state='pending' ORDER BY due_at"
        )
        return [Timer(r["key"], r["due_at"], r["kind"], json.loads(r["payload"])) for r in rows]


def _scope(prefixes: tuple[str, ...], keys: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """``key LIKE 'p%' OR ... OR key = 'k'``: prefixes end in a separator, so that
    ``esc-remind:1:`` never takes in ``esc-remind:12:``; an exact key stands alone."""
    terms = ["key LIKE ?"] * len(prefixes) + ["key = ?"] * len(keys)
    assert terms, "a scope names at least one prefix or key"
    return "(" + " OR ".join(terms) + ")", (*(p + "%" for p in prefixes), *keys)
