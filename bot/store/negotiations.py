"""The negotiation state of a thread: one JSON document per thread, written with the
event that changed it."""

from __future__ import annotations

import time

import aiosqlite

from bot.store.db import Database, defer


class Negotiations:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def save_in(tx: aiosqlite.Connection, thread: str, state: str) -> None:
        await defer(
            tx,
            "INSERT INTO negotiations (thread, state, updated_at) VALUES (?,?,?)"
            " ON CONFLICT(thread) DO UPDATE SET state=excluded.state, updated_at=excluded.updated_at",
            (thread, state, time.time()),
        )
