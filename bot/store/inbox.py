"""The durable inbox: every event is committed here before its source is acknowledged.

``INSERT OR IGNORE`` on the natural key is the whole dedupe story: a redelivered
Telegram update, a Slack retry, an IMAP re-fetch after a reconnect all hit the same id.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import aiosqlite

from bot.events import Event
from bot.store.db import Database


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
        async with self.db.transaction() as tx:
            return await self.add_in(tx, event)

    @staticmethod
    async def add_in(tx: aiosqlite.Connection, event: Event) -> bool:
        cur = await tx.execute(
            "INSERT OR IGNORE INTO inbox (id, channel, kind, thread, sender, body, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.id,
                event.channel,
                event.kind,
                thread_key(event),
                event.sender,
                event.to_json(),
                time.time(),
            ),
        )
        return cur.rowcount == 1

    async def recover(self) -> int:
        """After a crash, work that was being processed goes back to pending.

        ``attempts`` was already counted at claim time, so an event that kills the
        process is still quarantined after the maximum number of attempts."""
        async with self.db.transaction() as tx:
            cur = await tx.execute("UPDATE inbox SET state='pending' WHERE state='processing'")
            return cur.rowcount

    async def claim(self, *, limit: int, busy_threads: set[str], window: int = 1000) -> list[Claimed]:
        """Claim the oldest pending event of up to ``limit`` idle threads.

        Strict order inside a thread: only a thread's first pending event is eligible,
        and only when nothing else of that thread is in flight or backing off."""
        now = time.time()
        async with self.db.transaction() as tx:
            # The scan reads no bodies: only the picked events' JSON is loaded and parsed
            # (a backlog of a thousand events made every claim read and parse all of them).
            cur = await tx.execute(
                "SELECT seq, thread, attempts, next_at FROM inbox"
                " WHERE state='pending' ORDER BY seq LIMIT ?",
                (window,),
            )
            rows = await cur.fetchall()
            seen: set[str] = set()
            chosen = []
            for row in rows:
                thread = row["thread"]
                if thread in seen:
                    continue
                seen.add(thread)
                if thread in busy_threads or row["next_at"] > now:
                    continue
                chosen.append(row)
                if len(chosen) >= limit:
                    break
            picked: list[Claimed] = []
            if chosen:
                marks = ",".join("?" * len(chosen))
                cur = await tx.execute(
                    f"SELECT seq, body FROM inbox WHERE seq IN ({marks})", [r["seq"] for r in chosen]
                )
                bodies = {r["seq"]: r["body"] for r in await cur.fetchall()}
                picked = [
                    Claimed(
                        seq=r["seq"],
                        event=Event.from_json(bodies[r["seq"]]),
                        thread_key=r["thread"],
                        attempts=r["attempts"] + 1,
                    )
                    for r in chosen
                ]
            if picked:
                marks = ",".join("?" * len(picked))
                await tx.execute(
                    f"UPDATE inbox SET state='processing', attempts=attempts+1 WHERE seq IN ({marks})",
                    [c.seq for c in picked],
                )
            return picked

    @staticmethod
    async def finish_in(tx: aiosqlite.Connection, seq: int) -> None:
        await tx.execute(
            "UPDATE inbox SET state='done', done_at=?, last_error='' WHERE seq=?", (time.time(), seq)
        )

    async def retry_later(self, seq: int, *, error: str, delay: float) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE inbox SET state='pending', last_error=?, next_at=? WHERE seq=?",
                (error[:2000], time.time() + delay, seq),
            )

    @staticmethod
    async def quarantine_in(tx: aiosqlite.Connection, seq: int, *, error: str) -> None:
        await tx.execute(
            "UPDATE inbox SET state='quarantined', last_error=?, done_at=? WHERE seq=?",
            (error[:2000], time.time(), seq),
        )

    async def history(self, thread: str, *, before_seq: int, limit: int = 20) -> list[Event]:
        rows = await self.db.fetchall(
            "SELECT body FROM inbox WHERE thread=? AND seq<? ORDER BY seq DESC LIMIT ?",
            (thread, before_seq, limit),
        )
        return [Event.from_json(r["body"]) for r in reversed(rows)]

    async def has_pending(self) -> bool:
        row = await self.db.fetchone("SELECT 1 FROM inbox WHERE state IN ('pending', 'processing') LIMIT 1")
        return row is not None

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT state, COUNT(*) AS n FROM inbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}
