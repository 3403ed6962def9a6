"""Small durable key/value state: connector cursors, offsets, baselines, flags."""

from __future__ import annotations

import sqlite3

from bot.store.db import Database, Tx, defer


class KeyValue:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> str | None:
        return await self.db.read(get_value, key)

    async def set(self, key: str, value: str) -> None:
        async with self.db.transaction() as tx:
            await self.set_in(tx, key, value)

    @staticmethod
    async def set_in(tx: Tx, key: str, value: str) -> None:
        """Sent with the transaction's COMMIT; a later value for ``key`` replaces it."""
        await defer(
            tx,
            "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )


def state_key(namespace: str, key: str) -> str:
    """Where a connector's ``key`` lives: what the core reads of a connector's state (the
    calendar's free time) is read under the same name the connector wrote."""
    return f"connector:{namespace}:{key}"


class NamespacedState:
    """The StateStore a connector gets: its keys cannot collide with another's."""

    def __init__(self, kv: KeyValue, namespace: str) -> None:
        self._kv = kv
        self._prefix = state_key(namespace, "")

    async def get(self, key: str) -> str | None:
        return await self._kv.get(self._prefix + key)

    async def set(self, key: str, value: str) -> None:
        await self._kv.set(self._prefix + key, value)


def get_value(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
    return str(row[0]) if row else None
