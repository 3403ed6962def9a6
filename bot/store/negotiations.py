"""Negotiation state per thread: the offers made and received, the rounds, closed or not."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.store.db import Database, Tx, defer


class Negotiations:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def save_in(tx: Tx, thread: str, state: str) -> None:
        """Sent with the transaction's COMMIT; ``state`` is the JSON of the thread's state."""
        await defer(
            tx,
            "INSERT INTO negotiations (thread, state, updated_at) VALUES (?,?,?)"
            " ON CONFLICT(thread) DO UPDATE SET state=excluded.state, updated_at=excluded.updated_at",
            (thread, state, time.time()),
        )

    async def changed_since(self, since: float) -> list[tuple[str, dict[str, Any]]]:
        """(thread, state) of the negotiations that moved since a moment, oldest first."""
        rows = await self.db.fetchall(
            "SELECT thread, state FROM negotiations WHERE updated_at>=? ORDER BY updated_at",
            (since,),
        )
        return [(str(r["thread"]), json.loads(r["state"])) for r in rows]
