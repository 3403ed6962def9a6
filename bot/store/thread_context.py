"""Everything judging one event reads, in one round trip to the database.

A rules-only event needs its thread's history, what Deputy already wrote there, the
caps (replies in the thread, sends to each real recipient) and the pause flag; a model
also reads what Deputy remembers about the sender, a mandate the negotiation state, and
the distinctive text of other recent conversations that must not leave in this one.
Read one by one these were seven round trips and seven tasks per event; as one function
on a read-only connection they are one, and they describe one moment (issue 3:
throughput).

The same read decides which conversation a mail belongs to: References and In-Reply-To
are written by the sender, so they prove nothing. A message joins the thread its headers
name only when its sender already takes part in it; anyone else gets a conversation of
their own (the thread key scoped to the sender), and never sees the other one's text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.events import Event
from bot.store.db import Database
from bot.store.inbox import history
from bot.store.kv import get_value
from bot.store.memory import about
from bot.store.outbox import autonomous_replies, sends_to_each, sent_texts

# Other conversations read for foreign snippets: recent, bounded.
FOREIGN_EVENTS = 200  # only read when a model decides: one bounded query beside a model call


@dataclass(frozen=True, slots=True)
class Limits:
    """The counts the policy gate's caps compare against, and the owner's pause switch."""

    replies_in_thread_24h: int
    sends_to_correspondent_24h: int  # to the sender
    paused: bool
    # Autonomous messages in 24 h to each address a reply here may reach.
    sends_to: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ThreadContext:
    history: tuple[Event, ...]
    sent: tuple[str, ...]
    memory: tuple[tuple[str, str], ...]
    negotiation: str | None  # the stored plan state (JSON), when asked for
    limits: Limits
    thread: str = ""  # the thread key the event belongs to (its own when it did not join)
    others: tuple[Event, ...] = ()  # recent messages of other conversations, when asked for


def negotiation_state(conn: sqlite3.Connection, thread: str) -> str | None:
    row = conn.execute("SELECT state FROM negotiations WHERE thread=?", (thread,)).fetchone()
    return str(row[0]) if row else None


def limits(
    conn: sqlite3.Connection, thread: str, sender: str, since: float, addresses: Iterable[str] = ()
) -> Limits:
    counts = sends_to_each(conn, (sender, *addresses), since)
    return Limits(
        replies_in_thread_24h=autonomous_replies(conn, thread, since),
        sends_to_correspondent_24h=counts.get(sender.lower(), 0),
        paused=get_value(conn, "paused") == "1",
        sends_to=counts,
    )


def own_thread(thread: str, sender: str) -> str:
    """The thread key of a message that named a conversation its sender is not part of."""
    return f"{thread}#{sender.lower()}"


def joins(
    conn: sqlite3.Connection, thread: str, before_seq: int, sender: str, before: Iterable[Event]
) -> bool:
    """Whether ``sender`` takes part in ``thread``: the thread is new to us, or the sender
    wrote in it, was addressed in it, or got a message from Deputy in it."""
    sender = sender.lower()
    seen = False
    for event in before:
        seen = True
        if sender in event.participants:
            return True
    if conn.execute(
        "SELECT 1 FROM inbox WHERE thread=? AND seq<? AND lower(sender)=? LIMIT 1",
        (thread, before_seq, sender),
    ).fetchone():
        return True
    sent = conn.execute(
        "SELECT MAX(recipient=?) FROM outbox WHERE thread=? AND op='send'", (sender, thread)
    ).fetchone()
    if sent is not None and sent[0] is not None:
        return bool(sent[0])
    return not seen


def others(conn: sqlite3.Connection, thread: str, limit: int = FOREIGN_EVENTS) -> list[Event]:
    """Recent handled messages of other conversations (newest first)."""
    rows = conn.execute(
        "SELECT body FROM inbox WHERE kind='message' AND state='done' AND thread!=?"
        " ORDER BY seq DESC LIMIT ?",
        (thread, limit),
    ).fetchall()
    return [Event.from_json(r[0]) for r in rows]


def _context(
    conn: sqlite3.Connection,
    thread: str,
    before_seq: int,
    sender: str,
    since: float,
    with_memory: bool,
    with_negotiation: bool,
    bind: bool,
    extra: tuple[str, ...],
    with_others: bool,
) -> ThreadContext:
    before = history(conn, thread, before_seq)
    if bind and not joins(conn, thread, before_seq, sender, before):
        thread = own_thread(thread, sender)
        before = history(conn, thread, before_seq)
    participants = {p for e in before for p in e.participants}
    return ThreadContext(
        history=tuple(before),
        sent=tuple(sent_texts(conn, thread)),
        memory=tuple(about(conn, sender)) if with_memory else (),
        negotiation=negotiation_state(conn, thread) if with_negotiation else None,
        limits=limits(conn, thread, sender, since, (*participants, *extra)),
        thread=thread,
        others=tuple(others(conn, thread)) if with_others else (),
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
    bind: bool = False,
    addresses: Iterable[str] = (),
    with_others: bool = False,
) -> ThreadContext:
    """``bind``: the thread key came from headers the sender wrote (mail), so the sender
    joins it only as a participant (see the module docstring). ``addresses``: more
    addresses whose send budget to read (the event's own participants, its Reply-To)."""
    return await db.read(
        _context,
        thread,
        before_seq,
        sender,
        since,
        with_memory,
        with_negotiation,
        bind,
        tuple(addresses),
        with_others,
    )


async def read_limits(
    db: Database, *, thread: str, sender: str, since: float, addresses: Iterable[str] = ()
) -> Limits:
    """The caps again, for a decision that took a model call's time to make."""
    return await db.read(limits, thread, sender, since, tuple(addresses))
