"""The Message-IDs of verified peer mail: replay protection for ``bot.peers``."""

from __future__ import annotations

import sqlite3
import time

from bot.store.db import Database


class PeerMessages:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, message_id: str, *, peer: str, event_id: str) -> str:
        """Record that ``event_id`` carried the verified ``message_id``; return the event
        that carried it first (``event_id`` itself when this is the first, or when the
        same event is handled again after a crash)."""
        return await self.db.write(_claim, message_id, peer, event_id, time.time())


def _claim(conn: sqlite3.Connection, message_id: str, peer: str, event_id: str, now: float) -> str:
    conn.execute(
        "INSERT OR IGNORE INTO peer_messages (message_id, peer, event_id, seen_at) VALUES (?,?,?,?)",
        (message_id, peer, event_id, now),
    )
    row = conn.execute("SELECT event_id FROM peer_messages WHERE message_id=?", (message_id,)).fetchone()
    return str(row[0])
