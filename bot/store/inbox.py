"""The durable inbox: every event is committed here before its source is acknowledged.

``INSERT OR IGNORE`` on the natural key is the dedupe story: a redelivered Telegram
update, a Slack retry, an IMAP re-fetch after a reconnect all hit the same id. A mail's
natural key is its Message-ID, which a broken sender may reuse for a different mail:
an event that carries ``refs["content_digest"]`` and meets a stored event with another
digest is a different mail, stored under its own id and audited as such
(``reused_id``); the same digest (or a stored event without one) is a redelivery.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import time
from dataclasses import dataclass

from bot.events import Event
from bot.store.audit import Audit, AuditEntry
from bot.store.db import Database, Tx, defer, touch
from bot.store.db_thread import pending_in_order

log = logging.getLogger("deputy.inbox")

INSERT = (
    "INSERT OR IGNORE INTO inbox (id, channel, kind, thread, sender, body, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class Claimed:
    seq: int
    event: Event
    thread_key: str
    attempts: int  # including this one


def thread_key(event: Event) -> str:
    return f"{event.channel}:{event.thread}"


class Inbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, event: Event) -> bool:
        """Committed when this returns; concurrent adds share one COMMIT (group commit)."""
        if await self.db.write(_insert, _row(event)):
            self.db.committed(("inbox",))
            return True
        if not event.refs.get("content_digest"):
            return False
        return await self._add_reused(event)

    async def _add_reused(self, event: Event) -> bool:
        """The id was taken: a redelivery, or a different mail reusing the Message-ID."""
        async with self.db.transaction() as tx:
            stored = await self.event_in(tx, event.id)
            digest = event.refs["content_digest"]
            if stored is None or stored.refs.get("content_digest", digest) == digest:
                return False
            other = reused_id(event, first=stored.id)
            if not await self.add_in(tx, other):
                return False  # that different mail, delivered again
            await Audit.add_in(
                tx,
                AuditEntry(
                    event_id=other.id,
                    outcome="received",
                    channel=other.channel,
                    sender=other.sender,
                    subject=other.subject,
                    reasons=(other.defects[-1],),
                ),
            )
        log.warning("%s: %s", other.id, other.defects[-1])
        return True

    @staticmethod
    async def add_in(tx: Tx, event: Event) -> bool:
        cur = await tx.execute(INSERT, _row(event))
        if cur.rowcount == 1:
            touch(tx, "inbox")
        return cur.rowcount == 1

    @staticmethod
    async def last_done_at_in(tx: Tx, kind: str) -> float | None:
        """When the last event of ``kind`` that is done was received, if any."""
        cur = await tx.execute("SELECT MAX(created_at) FROM inbox WHERE kind=? AND state='done'", (kind,))
        row = await cur.fetchone()
        return float(row[0]) if row and row[0] else None

    @staticmethod
    async def messages_after_in(tx: Tx, thread: str, event_id: str) -> int:
        """How many messages came into ``thread`` after the event ``event_id``."""
        cur = await tx.execute(
            "SELECT COUNT(*) FROM inbox WHERE thread=? AND kind='message'"
            " AND seq > (SELECT seq FROM inbox WHERE id=?)",
            (thread, event_id),
        )
        row = await cur.fetchone()
        return int(row[0]) if row and row[0] else 0

    @staticmethod
    async def messages_since_in(tx: Tx, thread: str, event_id: str, *, limit: int = 200) -> list[Event]:
        """The messages (anyone's, the owner's too) that came into ``thread`` after the
        event ``event_id``, oldest first; none when that event is not in the inbox."""
        cur = await tx.execute(
            "SELECT body FROM inbox WHERE thread=? AND kind IN ('message', 'owner_message')"
            " AND seq > (SELECT seq FROM inbox WHERE id=?) ORDER BY seq LIMIT ?",
            (thread, event_id, limit),
        )
        return [Event.from_json(r[0]) for r in await cur.fetchall()]

    @staticmethod
    async def replies_to_in(tx: Tx, message_ids: list[str], *, after: str, limit: int = 50) -> list[Event]:
        """Messages after the event ``after``, in any thread, whose In-Reply-To or
        References name one of ``message_ids`` (RFC 5322 3.6.4): an answer to us that a
        mail client filed under a thread of its own."""
        if not message_ids:
            return []
        likes = " OR ".join("body LIKE ? ESCAPE '\\'" for _ in message_ids)
        patterns = [
            "%" + m.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for m in message_ids
        ]
        cur = await tx.execute(
            f"SELECT body FROM inbox WHERE kind IN ('message', 'owner_message')"
            f" AND seq > (SELECT seq FROM inbox WHERE id=?) AND ({likes}) ORDER BY seq LIMIT ?",
            (after, *patterns, limit),
        )
        wanted = set(message_ids)
        found = []
        for row in await cur.fetchall():
            event = Event.from_json(row[0])
            refs = {event.refs.get("in_reply_to", ""), *event.refs.get("references", "").split()}
            if refs & wanted:
                found.append(event)
        return found

    async def event(self, event_id: str) -> Event | None:
        row = await self.db.fetchone("SELECT body FROM inbox WHERE id=?", (event_id,))
        return Event.from_json(row["body"]) if row is not None else None

    @staticmethod
    async def event_in(tx: Tx, event_id: str) -> Event | None:
        cur = await tx.execute("SELECT body FROM inbox WHERE id=?", (event_id,))
        row = await cur.fetchone()
        return Event.from_json(row[0]) if row is not None else None

    async def recover(self) -> int:
        """After a crash, work that was being processed goes back to pending.

        ``attempts`` was counted at claim time, but a death with several events in flight
        (a kill, a power cut, an out-of-memory stop) names none of them. So each event it
        caught becomes a *suspect*, and suspects run one at a time (``_claim``): a suspect
        in flight at the next death is charged, the others' attempts are given back. A
        death that caught a single event charges it. An event that kills the process
        every time is still quarantined after the maximum number of attempts, and a kill
        from outside no longer quarantines a batch of innocent mail."""
        async with self.db.transaction() as tx:
            cur = await tx.execute("SELECT seq, suspect FROM inbox WHERE state='processing'")
            caught = [(r[0], r[1]) for r in await cur.fetchall()]
            if not caught:
                return 0
            charged = {seq for seq, suspect in caught if suspect}
            if not charged and len(caught) == 1:
                charged = {caught[0][0]}
            refund = [seq for seq, _ in caught if seq not in charged]
            if refund:
                marks = ",".join("?" * len(refund))
                await tx.execute(
                    f"UPDATE inbox SET attempts=MAX(attempts-1, 0) WHERE seq IN ({marks})", refund
                )
            await tx.execute("UPDATE inbox SET state='pending', suspect=1 WHERE state='processing'")
            return len(caught)

    async def claim(self, *, limit: int, busy_threads: set[str], window: int = 1000) -> list[Claimed]:
        """Claim the oldest pending event of up to ``limit`` idle threads.

        Strict order inside a thread: only a thread's first pending event is eligible,
        and only when nothing else of that thread is in flight or backing off."""
        # One round trip: the scan, the bodies and the UPDATE run on the database thread,
        # committed before this returns. Events are parsed here, outside it.
        chosen = await self.db.write(_claim, limit, frozenset(busy_threads), window, time.time())
        return [
            Claimed(
                seq=r["seq"],
                event=Event.from_json(body),
                thread_key=r["thread"],
                attempts=r["attempts"] + 1,
            )
            for r, body in chosen
        ]

    @staticmethod
    async def rebind_in(tx: Tx, seq: int, thread: str) -> None:
        """The event turned out to belong to another conversation than its headers named
        (its sender is not part of that one): later reads of either thread see that."""
        await defer(tx, "UPDATE inbox SET thread=? WHERE seq=?", (thread, seq))

    @staticmethod
    async def finish_in(tx: Tx, seq: int) -> None:
        await defer(
            tx, "UPDATE inbox SET state='done', done_at=?, last_error='' WHERE seq=?", (time.time(), seq)
        )

    async def retry_later(self, seq: int, *, error: str, delay: float) -> None:
        async with self.db.transaction() as tx:
            await defer(
                tx,
                "UPDATE inbox SET state='pending', last_error=?, next_at=? WHERE seq=?",
                (error[:2000], time.time() + delay, seq),
            )

    async def release(self, seq: int, *, error: str) -> None:
        """Hand back a claimed event whose handling was cut short by the store (locked,
        full): pending again at once, and the attempt is not counted against it."""
        async with self.db.transaction() as tx:
            await defer(
                tx,
                "UPDATE inbox SET state='pending', attempts=MAX(attempts-1, 0), last_error=?, next_at=0"
                " WHERE seq=? AND state='processing'",
                (error[:2000], seq),
            )

    @staticmethod
    async def quarantine_in(tx: Tx, seq: int, *, error: str) -> None:
        await defer(
            tx,
            "UPDATE inbox SET state='quarantined', last_error=?, done_at=? WHERE seq=?",
            (error[:2000], time.time(), seq),
        )

    async def history(self, thread: str, *, before_seq: int, limit: int = 20) -> list[Event]:
        return await self.db.read(history, thread, before_seq, limit)

    async def recent_done_messages(self, *, limit: int) -> list[Event]:
        """Ordinary messages already handled, newest first."""
        rows = await self.db.fetchall(
            "SELECT body FROM inbox WHERE kind='message' AND state='done' ORDER BY seq DESC LIMIT ?", (limit,)
        )
        return [Event.from_json(row["body"]) for row in rows]

    async def messages_between(self, since: float, until: float, *, limit: int = 1000) -> list[Event]:
        """Ordinary messages received in [since, until), oldest first (``deputy try --since``)."""
        rows = await self.db.fetchall(
            "SELECT body FROM inbox WHERE kind='message' AND created_at>=? AND created_at<?"
            " ORDER BY seq LIMIT ?",
            (since, until, limit),
        )
        return [Event.from_json(row["body"]) for row in rows]

    async def of_channel(self, channel: str, *, since: float) -> list[tuple[str, Event]]:
        """(state, event) of one channel's events since a moment (``deputy departments``)."""
        rows = await self.db.fetchall(
            "SELECT state, body FROM inbox WHERE channel=? AND created_at>=? ORDER BY seq", (channel, since)
        )
        return [(row["state"], Event.from_json(row["body"])) for row in rows]

    async def has_pending(self) -> bool:
        row = await self.db.fetchone("SELECT 1 FROM inbox WHERE state IN ('pending', 'processing') LIMIT 1")
        return row is not None

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT state, COUNT(*) AS n FROM inbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    async def quarantined(self, *, since: float) -> list[tuple[str, str]]:
        """(event id, last error) of the events quarantined since a moment (the digest)."""
        rows = await self.db.fetchall(
            "SELECT id, last_error FROM inbox WHERE state='quarantined' AND done_at>=?", (since,)
        )
        return [(r["id"], r["last_error"]) for r in rows]

    # ----- the console's views (bot/console) ---------------------------------------------
    async def threads(self, *, limit: int = 50) -> list[tuple[str, int, float, Event]]:
        """(thread, messages, last at, latest event) of the latest conversations."""
        rows = await self.db.fetchall(
            "SELECT i.thread, t.n, i.created_at, i.body FROM inbox i JOIN (SELECT thread, COUNT(*) AS n,"
            " MAX(seq) AS last FROM inbox WHERE kind='message' GROUP BY thread) t ON i.seq = t.last"
            " ORDER BY i.seq DESC LIMIT ?",
            (limit,),
        )
        return [(str(r[0]), int(r[1]), float(r[2]), Event.from_json(r[3])) for r in rows]

    async def thread_events(self, thread: str, *, limit: int = 200) -> list[tuple[Event, str, str]]:
        """(event, state, last error) of one conversation, oldest first."""
        rows = await self.db.fetchall(
            "SELECT body, state, last_error FROM inbox WHERE thread=? ORDER BY seq DESC LIMIT ?",
            (thread, limit),
        )
        return [(Event.from_json(r[0]), str(r[1]), str(r[2])) for r in reversed(rows)]

    async def quarantine_list(self, *, limit: int = 100) -> list[tuple[int, Event, str]]:
        """(seq, event, reason) of every quarantined event, newest first."""
        rows = await self.db.fetchall(
            "SELECT seq, body, last_error FROM inbox WHERE state='quarantined' ORDER BY seq DESC LIMIT ?",
            (limit,),
        )
        return [(int(r[0]), Event.from_json(r[1]), str(r[2])) for r in rows]

    async def requeue(self, seq: int) -> bool:
        """Give a quarantined event another full set of tries (the owner asked)."""

        def run(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE inbox SET state='pending', attempts=0, next_at=0, done_at=NULL"
                " WHERE seq=? AND state='quarantined'",
                (seq,),
            )
            return cur.rowcount == 1

        requeued = await self.db.write(run)
        if requeued:
            self.db.committed(("inbox",))  # wake the workers: the event is theirs again
        return requeued

    async def last_by_channel(self) -> dict[str, float]:
        """When each channel last brought an event (the console's health page)."""
        rows = await self.db.fetchall("SELECT channel, MAX(created_at) AS at FROM inbox GROUP BY channel")
        return {str(r["channel"]): float(r["at"]) for r in rows}

    async def total(self) -> int:
        row = await self.db.fetchone("SELECT COALESCE(MAX(seq), 0) AS n FROM inbox")
        return int(row["n"]) if row is not None else 0


def reused_id(event: Event, *, first: str) -> Event:
    """The event of a different mail whose Message-ID an earlier one already has: its
    own id (the content digest added), the real Message-ID kept in refs for threading."""
    message_id = event.refs.get("message_id", "")
    note = (
        f"a different mail reused Message-ID {message_id} (the first is event {first}):"
        " handled as a mail of its own"
    )
    return dataclasses.replace(
        event, id=f"{event.id}#{event.refs['content_digest'][:16]}", defects=(*event.defects, note)
    )


def history(conn: sqlite3.Connection, thread: str, before_seq: int, limit: int = 20) -> list[Event]:
    """A thread's events before this one, oldest first (runs on a database thread)."""
    rows = conn.execute(
        "SELECT body FROM inbox WHERE thread=? AND seq<? ORDER BY seq DESC LIMIT ?",
        (thread, before_seq, limit),
    ).fetchall()
    return [Event.from_json(r[0]) for r in reversed(rows)]


def _row(event: Event) -> tuple[object, ...]:
    return (
        event.id,
        event.channel,
        event.kind,
        thread_key(event),
        event.sender,
        event.to_json(),
        time.time(),
    )


def _insert(conn: sqlite3.Connection, row: tuple[object, ...]) -> bool:
    return conn.execute(INSERT, row).rowcount == 1


INBOX_SCAN = (
    "SELECT seq, thread, attempts, next_at, suspect FROM inbox"
    " WHERE state='pending' AND seq>? ORDER BY seq LIMIT ?"
)


def _claim(
    conn: sqlite3.Connection, limit: int, busy_threads: frozenset[str], window: int, now: float
) -> list[tuple[sqlite3.Row, str]]:
    """Runs on the database thread, inside a transaction (Database.write).

    The scan reads no bodies: only the picked events' JSON is loaded (a backlog of a
    thousand events made every claim read and parse all of them); and it reads pages
    only until it has enough (``pending_in_order``)."""
    chosen = []
    seen: set[str] = set()
    # One suspect (recover) at a time, so a death while it runs names it. Asked only
    # when the scan meets one: after a clean start there are none, and no query.
    suspect_free: bool | None = None
    for row in pending_in_order(conn, INBOX_SCAN, window=window):
        thread = row["thread"]
        if thread in seen:
            continue
        seen.add(thread)
        if thread in busy_threads or row["next_at"] > now:
            continue
        if row["suspect"]:
            if suspect_free is None:
                busy = "SELECT 1 FROM inbox WHERE state='processing' AND suspect=1"
                suspect_free = conn.execute(busy).fetchone() is None
            if not suspect_free:
                continue
            suspect_free = False
        chosen.append(row)
        if len(chosen) >= limit:
            break
    if not chosen:
        return []
    marks = ",".join("?" * len(chosen))
    seqs = [r["seq"] for r in chosen]
    bodies = {r[0]: r[1] for r in conn.execute(f"SELECT seq, body FROM inbox WHERE seq IN ({marks})", seqs)}
    conn.execute(f"UPDATE inbox SET state='processing', attempts=attempts+1 WHERE seq IN ({marks})", seqs)
    return [(r, bodies[r["seq"]]) for r in chosen]
