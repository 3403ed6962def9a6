"""One SQLite database in WAL mode, one writer connection, one daemon.

Every write goes through ``transaction()``, which holds an asyncio lock for the whole
BEGIN..COMMIT so that coroutines sharing the connection never interleave statements.
The single-instance lock is an OS file lock beside the database: the kernel releases it
when the process dies, even by SIGKILL, so a crashed daemon never blocks its successor.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import AlreadyRunning
from bot.store.schema import MIGRATIONS


class InstanceLock:
    """``flock`` on ``<db>.lock``: two daemons on one database cannot both run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = self.path.read_text().strip() or "another process"
            raise AlreadyRunning(
                f"{self.path}: another Deputy (pid {holder}) is running on this database"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class Database:
    READERS = 2  # read-only connections: reads outside a transaction never queue behind writes

    def __init__(self, path: Path, *, synchronous: str = "NORMAL") -> None:
        self.path = path
        self.synchronous = synchronous
        self._conn: aiosqlite.Connection | None = None
        self._readers: list[aiosqlite.Connection] = []
        self._next_reader = 0
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None  # the task inside a transaction

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves (explicit transactions).
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        await self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process crash (SIGKILL) without loss; only an OS
        # crash or power cut can lose the last commits. FULL is available in config.
        await self._conn.execute(f"PRAGMA synchronous={self.synchronous}")
        await self._conn.execute("PRAGMA busy_timeout=10000")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self.migrate()
        for _ in range(self.READERS):
            reader = await aiosqlite.connect(self.path, isolation_level=None)
            reader.row_factory = sqlite3.Row
            await reader.execute("PRAGMA busy_timeout=10000")
            await reader.execute("PRAGMA query_only=ON")
            self._readers.append(reader)

    async def migrate(self) -> None:
        async with self._lock:
            cur = await self.conn.execute("PRAGMA user_version")
            row = await cur.fetchone()
            version = int(row[0]) if row else 0
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                await self.conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _statements(script):
                        await self.conn.execute(statement)
                    await self.conn.execute(f"PRAGMA user_version={number}")
                    await self.conn.execute("COMMIT")
                except BaseException:
                    await self.conn.execute("ROLLBACK")
                    raise

    async def close(self) -> None:
        readers, self._readers = self._readers, []
        for reader in readers:
            await reader.close()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._owner is not None and self._owner is asyncio.current_task():
            raise RuntimeError("nested transaction")
        async with self._lock:
            self._owner = asyncio.current_task()
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    await self.conn.execute("ROLLBACK")
                    raise
                await self.conn.execute("COMMIT")
            finally:
                self._owner = None

    def _reader(self) -> aiosqlite.Connection | None:
        """A read-only connection for a read outside the caller's transaction.

        In WAL mode a reader sees the last committed state, exactly what the writer
        connection shows between transactions, so such reads need not wait for the write
        lock (they used to queue behind every transaction of every worker)."""
        if not self._readers or (self._owner is not None and self._owner is asyncio.current_task()):
            return None
        self._next_reader = (self._next_reader + 1) % len(self._readers)
        return self._readers[self._next_reader]

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[None]:
        # A read inside the caller's own transaction must not wait for the lock it holds.
        if self._owner is not None and self._owner is asyncio.current_task():
            yield
            return
        async with self._lock:
            yield

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        reader = self._reader()
        if reader is not None:
            async with reader.execute(sql, tuple(params)) as cur:
                return list(await cur.fetchall())
        async with self._reading():
            cur = await self.conn.execute(sql, tuple(params))
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        reader = self._reader()
        if reader is not None:
            async with reader.execute(sql, tuple(params)) as cur:
                found: sqlite3.Row | None = await cur.fetchone()
                return found
        async with self._reading():
            cur = await self.conn.execute(sql, tuple(params))
            row: sqlite3.Row | None = await cur.fetchone()
            return row

    async def integrity_check(self) -> str:
        row = await self.fetchone("PRAGMA integrity_check")
        return str(row[0]) if row else "no answer"


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def connect_sync(path: Path) -> sqlite3.Connection:
    """For short CLI commands that run beside the daemon (WAL allows it)."""
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=10000")
    return conn
