"""Everything judging one event reads, in one round trip to the database.

A rules-only event needs its thread's history, what Deputy already wrote there, the
caps (replies in the thread, sends to the correspondent) and the pause flag; a model also
reads what Deputy remembers about the sender, a mandate the negotiation state. Read one
by one these were seven round trips and seven tasks per event; as one function on a
read-only connection they are one, and they describe one moment (issue 3: throughput).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.events import Event
from bot.store.db import Database
from bot.store.inbox import history
from bot.store.kv import get_value
from bot.store.memory import about
from bot.store.outbox import autonomous_replies, sends_to, sent_texts


@dataclass(frozen=True, slots=True)
class Limits:
    """The counts the policy gate's caps compare against, and the owner's pause switch."""

    replies_in_thread_24h: int
    sends_to_correspondent_24h: int
    paused: bool


@dataclass(frozen=True, slots=True)
class ThreadContext:
    history: tuple[Event, ...]
    sent: tuple[str, ...]
    memory: tuple[tuple[str, str], ...]
    negotiation: str | None  # the stored plan state (JSON), when asked for
    limits: Limits


def negotiation_state(conn: sqlite3.Connection, thread: str) -> str | None:
    row = conn.execute("SELECT state FROM negotiations WHERE thread=?", (thread,)).fetchone()
    return str(row[0]) if row else None


def limits(conn: sqlite3.Connection, thread: str, sender: str, since: float) -> Limits:
    return Limits(
        replies_in_thread_24h=autonomous_replies(conn, thread, since),
        sends_to_correspondent_24h=sends_to(conn, sender, since),
        paused=get_value(conn, "paused") == "1",
    )


def _context(
    conn: sqlite3.Connection,
    thread: str,
    before_seq: int,
    sender: str,
    since: float,
    with_memory: bool,
    with_negotiation: bool,
) -> ThreadContext:
    return ThreadContext(
        history=tuple(history(conn, thread, before_seq)),
        sent=tuple(sent_texts(conn, thread)),
        memory=tuple(about(conn, sender)) if with_memory else (),
        negotiation=negotiation_state(conn, thread) if with_negotiation else None,
        limits=limits(conn, thread, sender, since),
    )


async def read_thread_context(
    db: Database,
    *,
    thread: str,
    before_seq: int,
    sender: str,
    since: float,
    with_memory: bool,
    with_negotiation: bool,
) -> ThreadContext:
    return await db.read(_context, thread, before_seq, sender, since, with_memory, with_negotiation)


async def read_limits(db: Database, *, thread: str, sender: str, since: float) -> Limits:
    """The caps again, for a decision that took a model call's time to make."""
    return await db.read(limits, thread, sender, since)
