"""The facts of each judged message (``bot.facts``), stored with the event, and what
Deputy knows from them when the next message arrives: in one read, with the task
conversation the thread belongs to (``known``)."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass

from bot.facts import Facts
from bot.store.db import Database, Tx, defer
from bot.store.tasks import Contact, by_thread_on


@dataclass(frozen=True, slots=True)
class Known:
    """What the store knows that the message itself cannot say."""

    wrote_in_thread: bool = False  # Deputy sent something in this thread
    sender_seen_before: bool = False  # an earlier message from the same sender
    payees_on_file: tuple[str, ...] = ()  # IBANs/accounts from the sender's earlier messages
    task_contact: Contact | None = None  # the running task conversation this thread is part of


def _known(
    conn: sqlite3.Connection, thread: str, channel: str, threads: tuple[str, ...], sender: str, event_id: str
) -> Known:
    # "Answers a thread Deputy wrote in" only for someone who takes part in it (Deputy
    # wrote to them there, or they wrote there before): a References header naming our
    # thread proves nothing on its own.
    wrote = conn.execute(
        "SELECT 1 FROM outbox WHERE thread=? AND op='send' AND (recipient=? OR EXISTS"
        " (SELECT 1 FROM inbox WHERE thread=? AND sender=? AND id<>?)) LIMIT 1",
        (thread, sender, thread, sender, event_id),
    ).fetchone()
    seen = conn.execute(
        "SELECT 1 FROM inbox WHERE sender=? AND id<>? AND kind='message' LIMIT 1", (sender, event_id)
    ).fetchone()
    payees: list[str] = []
    for row in conn.execute(
        "SELECT payees FROM message_facts WHERE sender=? AND event_id<>? AND payees<>''"
        " ORDER BY at DESC LIMIT 20",
        (sender, event_id),
    ):
        payees += [p for p in str(row[0]).split() if p not in payees]
    return Known(
        wrote_in_thread=wrote is not None,
        sender_seen_before=seen is not None,
        payees_on_file=tuple(payees),
        task_contact=by_thread_on(conn, channel, threads, running=True),
    )


class MessageFacts:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def known(
        self, *, thread: str, channel: str, threads: tuple[str, ...], sender: str, event_id: str
    ) -> Known:
        """One round trip: our thread, first contact, payees on file, the task contact."""
        wanted = tuple(dict.fromkeys(t for t in threads if t))[:500]  # (SQLite's variable limit)
        return await self.db.read(_known, thread, channel, wanted, sender.lower(), event_id)

    @staticmethod
    async def save_in(tx: Tx, *, event_id: str, sender: str, thread: str, facts: Facts) -> None:
        payees = " ".join((*facts.payment.ibans, *facts.payment.accounts))
        data = json.dumps(facts.to_dict(), sort_keys=True)
        await defer(
            tx,
            "INSERT OR REPLACE INTO message_facts (event_id, sender, thread, payees, facts, at)"
            " VALUES (?,?,?,?,?,?)",
            (
                event_id,
                sender.lower(),
                thread,
                payees,
                data,
                time.time(),
            ),
        )

    async def get(self, event_id: str) -> Facts | None:
        row = await self.db.fetchone("SELECT facts FROM message_facts WHERE event_id=?", (event_id,))
        return Facts.from_dict(json.loads(row["facts"])) if row else None

    async def since(self, at: float, *, limit: int = 200) -> list[tuple[str, str, Facts, float]]:
        """(event_id, sender, facts, at) of the messages judged since ``at``, oldest first:
        what the digest reports of invoices received."""
        rows = await self.db.fetchall(
            "SELECT event_id, sender, facts, at FROM message_facts WHERE at>=? ORDER BY at LIMIT ?",
            (at, limit),
        )
        return [
            (str(r["event_id"]), str(r["sender"]), Facts.from_dict(json.loads(r["facts"])), float(r["at"]))
            for r in rows
        ]

    async def many(self, event_ids: list[str]) -> dict[str, Facts]:
        """For ``deputy log``: the facts of the listed events, in one read."""
        wanted = list(dict.fromkeys(event_ids))[:500]
        if not wanted:
            return {}
        rows = await self.db.fetchall(
            f"SELECT event_id, facts FROM message_facts WHERE event_id IN ({','.join('?' * len(wanted))})",
            wanted,
        )
        return {str(r["event_id"]): Facts.from_dict(json.loads(r["facts"])) for r in rows}
