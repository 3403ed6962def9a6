"""The Message-IDs of verified peer mail: replay protection for ``bot.peers``."""

from __future__ import annotations

import sqlite3
import time

from bot.store.db import Database, Tx


class PeerMessages:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, message_id: str, *, peer: str, event_id: str) -> str:
        """Record that ``event_id`` carried the verified ``message_id``; return the event
        that carried it first (``event_id`` itself when this is the first, or when the
        same event is handled again after a crash)."""
        return await self.db.write(_claim, message_id, peer, event_id, time.time())

    @staticmethod
    async def peers_of_in(tx: Tx, event_ids: list[str]) -> dict[str, str]:
        """The peer each of ``event_ids`` was verified from, for those that were: a stored
        event is kept as it came (with its Auto-Submitted), and whoever reads it back from
        the inbox reads it as the router did only with this."""
        if not event_ids:
            return {}
        marks = ",".join("?" * len(event_ids))
        cur = await tx.execute(
            f"SELECT event_id, peer FROM peer_messages WHERE event_id IN ({marks})", event_ids
        )
        return {str(row[0]): str(row[1]) for row in await cur.fetchall()}


def _claim(conn: sqlite3.Connection, message_id: str, peer: str, event_id: str, now: float) -> str:
    conn.execute(
        "INSERT OR IGNORE INTO peer_messages (message_id, peer, event_id, seen_at) VALUES (?,?,?,?)",
        (message_id, peer, event_id, now),
    )
    row = conn.execute("SELECT event_id FROM peer_messages WHERE message_id=?", (message_id,)).fetchone()
    return str(row[0])
