"""What Deputy knows about contacts and past decisions; the owner can see and correct it."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from bot.store.db import Database, Tx, defer


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryFact:
    id: int
    subject: str
    fact: str
    source: str


class Memory:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def add_in(tx: Tx, *, subject: str, fact: str, source: str) -> None:
        await defer(
            tx,
            "INSERT OR IGNORE INTO memory (subject, fact, source, created_at) VALUES (?,?,?,?)",
            (subject.lower(), fact[:1000], source, time.time()),
        )

    async def about(self, subject: str, *, limit: int = 20) -> list[tuple[str, str]]:
        return await self.db.read(about, subject, limit)

    async def all(self) -> list[MemoryFact]:
        """Everything remembered, by contact (``deputy memory``)."""
        rows = await self.db.fetchall("SELECT id, subject, fact, source FROM memory ORDER BY subject, id")
        return [
            MemoryFact(id=r["id"], subject=r["subject"], fact=r["fact"], source=r["source"]) for r in rows
        ]

    async def forget(self, fact_id: int) -> bool:
        """Delete one remembered fact; False when there is no such fact."""
        async with self.db.transaction() as tx:
            cur = await tx.execute("DELETE FROM memory WHERE id=?", (fact_id,))
        return bool(cur.rowcount)


def about(conn: sqlite3.Connection, subject: str, limit: int = 20) -> list[tuple[str, str]]:
    """The newest facts about one contact (runs on a database thread)."""
    rows = conn.execute(
        "SELECT subject, fact FROM memory WHERE subject=? ORDER BY id DESC LIMIT ?",
        (subject.lower(), limit),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]
