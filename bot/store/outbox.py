"""The outbox: every side effect, keyed for idempotency, delivered after commit.

A row moves pending -> sending -> sent (or failed). ``sending`` is written *before*
the connector is called, so a crash mid-send leaves evidence: on restart such rows are
marked ``in_doubt`` and the connector checks before sending again (DESIGN.md, 5).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from bot.delivery import Delivery
from bot.store.db import Database, Tx, defer, touch
from bot.store.db_thread import pending_in_order

# Built once: json.dumps with options builds a new encoder on every call (issue 3).
_ENCODE_PAYLOAD = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
_ENCODE_RECEIPT = json.JSONEncoder(sort_keys=True).encode
DAY = 86400.0
INSERT_OUTBOX = (
    "INSERT OR IGNORE INTO outbox (key, event_id, connector, op, payload, thread,"
    " recipient, autonomous, escalation_id, created_at, next_at)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    key: str
    event_id: str
    connector: str
    op: str
    payload: dict[str, object]
    thread: str = ""
    recipient: str = ""
    autonomous: bool = True
    escalation_id: int | None = None
    not_before: float = 0.0  # hold delivery until then (the owner's quiet hours)
    # Everyone an autonomous message reaches (To and Cc): what the send budget counts.
    recipients: tuple[str, ...] = ()
    # The per-correspondent cap, checked again where the row is written: workers judge
    # different threads at once, so two of them may both have read "9 of 10".
    budget: int | None = None


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def add_in(tx: Tx, row: OutboxRow) -> None:
        """Sent with the transaction's COMMIT (``INSERT OR IGNORE``: a rerun adds nothing).

        An autonomous send with a ``budget`` is inserted only while none of its
        recipients has had ``budget`` autonomous messages in 24 h: the statement runs in
        the group commit, after the other transactions' inserts, so the cap holds under
        concurrency without a round trip of its own."""
        touch(tx, "outbox")
        values = (
            row.key,
            row.event_id,
            row.connector,
            row.op,
            _ENCODE_PAYLOAD(row.payload),
            row.thread,
            row.recipient.lower(),
            int(row.autonomous),
            row.escalation_id,
            time.time(),
            row.not_before,
        )
        counted = tuple(dict.fromkeys(r.strip().lower() for r in row.recipients if r.strip()))
        if row.op != "send" or not row.autonomous or not counted:
            await defer(tx, INSERT_OUTBOX + " VALUES (?,?,?,?,?,?,?,?,?,?,?)", values)
            return
        if row.budget is None:
            await defer(tx, INSERT_OUTBOX + " VALUES (?,?,?,?,?,?,?,?,?,?,?)", values)
        else:
            marks = ",".join("?" * len(counted))
            await defer(
                tx,
                INSERT_OUTBOX + " SELECT ?,?,?,?,?,?,?,?,?,?,? WHERE NOT EXISTS (SELECT 1 FROM"
                f" send_recipients WHERE recipient IN ({marks}) AND created_at>=?"
                " GROUP BY recipient HAVING COUNT(*)>=?)",
                (*values, *counted, time.time() - DAY, row.budget),
            )
        for recipient in counted:
            await defer(
                tx,
                "INSERT OR IGNORE INTO send_recipients (outbox_key, recipient, created_at)"
                " SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM outbox WHERE key=?)",
                (row.key, recipient, time.time(), row.key),
            )

    async def recover(self) -> int:
        async with self.db.transaction() as tx:
            cur = await tx.execute("UPDATE outbox SET state='pending', in_doubt=1 WHERE state='sending'")
            return cur.rowcount

    async def claim(
        self, *, limit: int, busy_threads: set[str], now: float | None = None
    ) -> list[tuple[Delivery, str, int | None]]:
        """Due rows, oldest first, one per thread so a thread's messages keep their order."""
        # One round trip; ``sending`` is committed before this returns, so before any
        # connector is called.
        now = time.time() if now is None else now
        chosen = await self.db.write(_claim, limit, frozenset(busy_threads), now)
        return [
            (
                Delivery(
                    key=row["key"],
                    connector=row["connector"],
                    op=row["op"],
                    payload=json.loads(payload),
                    attempts=row["attempts"] + 1,
                    in_doubt=bool(row["in_doubt"]),
                    first_tried_at=first_tried_at,
                ),
                thread,
                row["escalation_id"],
            )
            for row, thread, payload, first_tried_at in chosen
        ]

    async def mark_sent(self, key: str, receipt: dict[str, str], *, tx: Tx) -> None:
        await defer(
            tx,
            "UPDATE outbox SET state='sent', sent_at=?, receipt=?, last_error='' WHERE key=?",
            (time.time(), _ENCODE_RECEIPT(receipt), key),
        )

    async def mark_retry(self, key: str, *, error: str, delay: float, now: float | None = None) -> None:
        async with self.db.transaction() as tx:
            await self.mark_retry_in(tx, key, error=error, delay=delay, now=now)

    @staticmethod
    async def mark_retry_in(tx: Tx, key: str, *, error: str, delay: float, now: float | None = None) -> None:
        await defer(
            tx,
            "UPDATE outbox SET state='pending', last_error=?, next_at=? WHERE key=?",
            (error[:2000], (time.time() if now is None else now) + delay, key),
        )

    async def release(self, key: str, *, error: str) -> None:
        """Hand back a row whose outcome was never recorded (the store failed after the
        claim): pending at once, in doubt, and the attempt is not counted."""
        async with self.db.transaction() as tx:
            await defer(
                tx,
                "UPDATE outbox SET state='pending', in_doubt=1, attempts=MAX(attempts-1, 0), last_error=?,"
                " next_at=0 WHERE key=? AND state='sending'",
                (error[:2000], key),
            )

    async def mark_failed(self, key: str, *, error: str) -> None:
        async with self.db.transaction() as tx:
            await self.mark_failed_in(tx, key, error=error)

    @staticmethod
    async def mark_failed_in(tx: Tx, key: str, *, error: str) -> None:
        await defer(tx, "UPDATE outbox SET state='failed', last_error=? WHERE key=?", (error[:2000], key))

    @staticmethod
    async def follow_clock_step_in(tx: Tx, seconds: float) -> int:
        """The wall clock stepped by ``seconds``: a delivery's age (``first_tried_at``,
        what ``give_up_after`` is measured from) keeps the time that really passed, either
        way; a retry waiting moves back with a step back, so it is not held for the hour
        the clock lost, and is left where it is on a step forward (it is tried early).
        Returns the rows moved."""
        cur = await tx.execute(
            "UPDATE outbox SET first_tried_at = first_tried_at + ?,"
            " next_at = CASE WHEN ? < 0 AND next_at > 0 THEN next_at + ? ELSE next_at END"
            " WHERE state='pending' AND (first_tried_at IS NOT NULL OR next_at > 0)",
            (seconds, seconds, seconds),
        )
        return int(cur.rowcount)

    async def autonomous_replies(self, thread: str, *, since: float) -> int:
        return await self.db.read(autonomous_replies, thread, since)

    async def sends_to(self, recipient: str, *, since: float) -> int:
        return await self.db.read(sends_to, recipient, since)

    @staticmethod
    async def has_send_in(tx: Tx, thread: str) -> bool:
        """Deputy wrote in ``thread`` (a send row, delivered or still on its way)."""
        cur = await tx.execute("SELECT 1 FROM outbox WHERE thread=? AND op='send' LIMIT 1", (thread,))
        return await cur.fetchone() is not None

    @staticmethod
    async def sent_message_ids_in(tx: Tx, thread: str) -> list[str]:
        """The Message-IDs of what Deputy wrote in ``thread``: a reply to one of them
        answers us, even when the other side's client started a new thread with it."""
        cur = await tx.execute(
            "SELECT payload FROM outbox WHERE thread=? AND op='send' ORDER BY seq", (thread,)
        )
        ids = [str(json.loads(r[0]).get("message_id", "")) for r in await cur.fetchall()]
        return [i for i in ids if i]

    async def sends_to_each(self, recipients: Iterable[str], *, since: float) -> dict[str, int]:
        return await self.db.read(sends_to_each, tuple(recipients), since)

    async def sent_texts(self, thread: str, *, limit: int = 10) -> list[str]:
        return await self.db.read(sent_texts, thread, limit)

    async def filing(self, seq: int) -> sqlite3.Row | None:
        """The filing row ``seq`` (connector, payload, receipt, state), or None."""
        return await self.db.fetchone(
            "SELECT connector, payload, receipt, state, event_id, autonomous FROM outbox"
            " WHERE seq=? AND op='file'",
            (seq,),
        )

    async def has_pending(self) -> bool:
        row = await self.db.fetchone("SELECT 1 FROM outbox WHERE state IN ('pending','sending') LIMIT 1")
        return row is not None

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    async def for_thread(self, thread: str, *, limit: int = 200) -> list[dict[str, object]]:
        """What left (or waits to leave) in one conversation, oldest first (the console)."""
        rows = await self.db.fetchall(
            "SELECT seq, key, event_id, connector, op, payload, recipient, autonomous, state, in_doubt,"
            " created_at FROM outbox WHERE thread=? ORDER BY seq DESC LIMIT ?",
            (thread, limit),
        )
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in reversed(rows)]

    async def in_doubt(self, *, limit: int = 100) -> list[dict[str, object]]:
        """Deliveries that may or may not have happened, and the failed ones (the console)."""
        rows = await self.db.fetchall(
            "SELECT seq, key, connector, op, recipient, state, in_doubt, last_error, created_at FROM outbox"
            " WHERE in_doubt=1 OR state='failed' ORDER BY seq DESC LIMIT ?",
            (limit,),
        )
        return [dict(r) for r in rows]

    async def filed(self, *, since: float) -> list[tuple[int, dict[str, object]]]:
        """(seq, payload) of the messages filed since a moment, oldest first (the digest)."""
        rows = await self.db.fetchall(
            "SELECT seq, payload FROM outbox WHERE op='file' AND state='sent' AND created_at>=? ORDER BY seq",
            (since,),
        )
        return [(int(r["seq"]), json.loads(r["payload"])) for r in rows]

    async def autonomous_sends(self, *, since: float) -> list[tuple[str, dict[str, object]]]:
        """(recipient, payload) of what Deputy sent on its own since a moment, oldest first."""
        rows = await self.db.fetchall(
            "SELECT recipient, payload FROM outbox WHERE op='send' AND autonomous=1 AND created_at>=?"
            " ORDER BY seq",
            (since,),
        )
        return [(str(r["recipient"]), json.loads(r["payload"])) for r in rows]


# ----- reads that run on a database thread (see Database.read) --------------------------
def autonomous_replies(conn: sqlite3.Connection, thread: str, since: float) -> int:
    """Replies Deputy sent on its own in a thread since a moment: the per-thread cap."""
    row = conn.execute(
        "SELECT COUNT(*) FROM outbox WHERE thread=? AND autonomous=1 AND op='send'"
        " AND escalation_id IS NULL AND created_at>=?",
        (thread, since),
    ).fetchone()
    return int(row[0]) if row else 0


def sends_to(conn: sqlite3.Connection, recipient: str, since: float) -> int:
    """Messages Deputy sent on its own to one correspondent since a moment: the send
    budget. Every recipient counts (To and Cc), not only the first one."""
    return sends_to_each(conn, (recipient,), since).get(recipient.lower(), 0)


def sends_to_each(conn: sqlite3.Connection, recipients: Iterable[str], since: float) -> dict[str, int]:
    """``sends_to`` for several addresses in one statement (the thread's participants)."""
    wanted = sorted({r.strip().lower() for r in recipients if r.strip()})
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    rows = conn.execute(
        f"SELECT recipient, COUNT(*) FROM send_recipients WHERE recipient IN ({marks})"
        " AND created_at>=? GROUP BY recipient",
        (*wanted, since),
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def sent_texts(conn: sqlite3.Connection, thread: str, limit: int = 10) -> list[str]:
    """What Deputy itself wrote in a thread, oldest first: trusted text for the gate."""
    rows = conn.execute(
        "SELECT payload FROM outbox WHERE thread=? AND op='send' ORDER BY seq DESC LIMIT ?",
        (thread, limit),
    ).fetchall()
    return [str(json.loads(r[0]).get("text", "")) for r in reversed(rows)]


OUTBOX_SCAN = (
    "SELECT seq, key, connector, op, attempts, in_doubt, thread, escalation_id, next_at, first_tried_at"
    " FROM outbox WHERE state='pending' AND seq>? ORDER BY seq LIMIT ?"
)


def _claim(
    conn: sqlite3.Connection, limit: int, busy_threads: frozenset[str], now: float
) -> list[tuple[sqlite3.Row, str, str, float]]:
    """Runs on the database thread, inside a transaction (Database.write). Only the
    picked rows' payloads are read (the scan of 500 used to parse all of them)."""
    picked: list[tuple[sqlite3.Row, str]] = []
    seen: set[str] = set()
    for row in pending_in_order(conn, OUTBOX_SCAN, window=500):
        thread = row["thread"] or row["key"]
        if thread in seen:
            continue
        seen.add(thread)
        if thread in busy_threads or row["next_at"] > now:
            continue
        picked.append((row, thread))
        if len(picked) >= limit:
            break
    if not picked:
        return []
    marks = ",".join("?" * len(picked))
    seqs = [row["seq"] for row, _ in picked]
    found = conn.execute(f"SELECT seq, payload FROM outbox WHERE seq IN ({marks})", seqs)
    payloads = {r[0]: r[1] for r in found}
    conn.execute(
        f"UPDATE outbox SET state='sending', attempts=attempts+1, first_tried_at=COALESCE(first_tried_at, ?)"
        f" WHERE seq IN ({marks})",
        [now, *seqs],
    )
    return [
        (
            row,
            thread,
            payloads[row["seq"]],
            row["first_tried_at"] if row["first_tried_at"] is not None else now,
        )
        for row, thread in picked
    ]
