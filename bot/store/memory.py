"""What Deputy knows about contacts and past decisions; the owner can see and correct it."""

from __future__ import annotations

import sqlite3
import time

import aiosqlite

from bot.store.db import Database, defer


class Memory:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def add_in(tx: aiosqlite.Connection, *, subject: str, fact: str, source: str) -> None:
        await defer(
            tx,
            "INSERT OR IGNORE INTO memory (subject, fact, source, created_at) VALUES (?,?,?,?)",
            (subject.lower(), fact[:1000], source, time.time()),
        )

    async def about(self, subject: str, *, limit: int = 20) -> list[tuple[str, str]]:
        return await self.db.read(about, subject, limit)


def about(conn: sqlite3.Connection, subject: str, limit: int = 20) -> list[tuple[str, str]]:
    """The newest facts about one contact (runs on a database thread)."""
    rows = conn.execute(
        "SELECT subject, fact FROM memory WHERE subject=? ORDER BY id DESC LIMIT ?",
        (subject.lower(), limit),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]
