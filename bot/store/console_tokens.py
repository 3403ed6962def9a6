"""The web console's secrets: one-time login links and sessions (migration 8).

Only a SHA-256 of each secret is stored, so neither a copy of the database nor a log of
its statements opens a session. A login link is spent by a conditional UPDATE, so two
requests racing with the same link open one session at most.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass

from bot.store.db import Database


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    csrf: str
    expires_at: float


class ConsoleTokens:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_login(self, secret: str, *, ttl: float) -> None:
        await self._add(secret, kind="login", csrf="", ttl=ttl)

    async def add_session(self, secret: str, *, csrf: str, ttl: float) -> None:
        await self._add(secret, kind="session", csrf=csrf, ttl=ttl)

    async def _add(self, secret: str, *, kind: str, csrf: str, ttl: float) -> None:
        now = time.time()

        def run(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM console_tokens WHERE expires_at<?", (now,))
            conn.execute(
                "INSERT INTO console_tokens (hash, kind, csrf, expires_at, created_at) VALUES (?,?,?,?,?)",
                (digest(secret), kind, csrf, now + ttl, now),
            )

        await self.db.write(run)

    async def spend_login(self, secret: str) -> bool:
        """True once for a link that exists and has not expired; False ever after."""
        now = time.time()

        def run(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE console_tokens SET used_at=? WHERE hash=? AND kind='login' AND used_at IS NULL"
                " AND expires_at>=?",
                (now, digest(secret), now),
            )
            return cur.rowcount == 1

        return await self.db.write(run)

    async def session(self, secret: str) -> Session | None:
        row = await self.db.fetchone(
            "SELECT csrf, expires_at FROM console_tokens WHERE hash=? AND kind='session' AND expires_at>=?",
            (digest(secret), time.time()),
        )
        return None if row is None else Session(csrf=str(row["csrf"]), expires_at=float(row["expires_at"]))

    async def end_session(self, secret: str) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM console_tokens WHERE hash=? AND kind='session'", (digest(secret),))

        await self.db.write(run)
