"""One SQLite database in WAL mode, one writer connection, one daemon.

Every write goes through ``transaction()`` (or ``write()``). aiosqlite runs each call on
the connection's own thread, and every call is a round trip, so a transaction costs as
few of them as it can: statements whose result nobody reads are deferred and sent with
the next one that is read, or with COMMIT; a transaction that only deferred is handed to
the group writer, which commits the transactions of all waiting coroutines together in
one BEGIN..COMMIT, each in its own savepoint. A transaction that reads holds an asyncio
lock from its first statement to its COMMIT, so coroutines sharing the connection never
interleave statements. Nobody is told "done" before the COMMIT that contains its work.
What runs on the connections' threads is in ``db_thread.py``; the single-instance lock
in ``instance_lock.py``.

Consumers subscribe to a table (``on_commit("outbox", sender.wake)``): the repositories
mark a transaction that added work (``touch(tx, table)``) and the callbacks run after its COMMIT,
never before, so a woken consumer's claim always sees the row. A rolled-back transaction
wakes nobody.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.errors import NoDatabase
from bot.store.db_thread import (
    Result,
    Statement,
    Work,
    commit,
    hop,
    query,
    read_batch,
    rollback,
    run_and_read,
    run_group,
    run_statements,
    run_then,
)
from bot.store.schema import MIGRATIONS

T = TypeVar("T")


def touch(tx: Tx, table: str) -> None:
    """Mark ``tx`` as adding work to ``table``: its consumers are woken after COMMIT."""
    if isinstance(tx, Tx):
        tx.touched.add(table)


async def defer(tx: Tx, sql: str, params: Iterable[Any] = ()) -> None:
    """A write whose result nobody reads: sent with the transaction's next round trip."""
    if isinstance(tx, Tx):
        tx.defer(sql, params)
    else:
        await tx.execute(sql, tuple(params))


async def _connect(path: Path, *, create: bool = True) -> aiosqlite.Connection:
    """An aiosqlite connection whose thread does not keep the process alive: a path that
    forgets to close the store (an error during start) must still let the process exit.
    Committed work is safe either way (WAL survives a process that ends mid-write).
    ``create=False`` opens an existing file only (SQLite's ``mode=rw`` URI)."""
    target: str | Path = path if create else f"file:{path}?mode=rw"
    conn = aiosqlite.connect(target, isolation_level=None, uri=not create)
    thread: Any = getattr(conn, "_thread", conn)  # aiosqlite >= 0.20 holds its thread; older ones are one
    thread.daemon = True
    return await conn


def _settle(batch: list[tuple[Any, asyncio.Future[Any]]], outcomes: list[tuple[bool, Any]]) -> None:
    for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class Tx:
    """One write transaction on the writer connection.

    ``execute`` runs now (with everything queued before it, BEGIN included) and returns
    its result; ``defer`` queues a statement whose result nobody needs. A transaction
    that only deferred is committed by the group writer together with others' (see
    ``run_group``); one that executed holds the write lock until its COMMIT, which
    carries the remaining deferred statements in the same hop."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[Statement] = []
        self.begun = False  # BEGIN has been sent: the write lock is held
        self.touched: set[str] = set()  # tables this transaction added work to

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> Result:  # type: ignore[override]
        await self._begin()
        statements, self._pending = [*self._pending, (sql, tuple(params))], []
        return await hop(self._db.conn, run_and_read, statements)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(sqlite3_connection, *args)`` inside this transaction (it sees the
        transaction's own writes), with everything queued before it: one round trip."""
        await self._begin()
        statements, self._pending = self._pending, []
        return await hop(self._db.conn, run_then, statements, fn, args)

    async def _begin(self) -> None:
        """The first statement whose result is read takes the write lock and sends BEGIN."""
        if not self.begun:
            await self._db._lock.acquire()
            self.begun = True
            self._pending.insert(0, ("BEGIN IMMEDIATE", ()))

    def defer(self, sql: str, params: Iterable[Any] = ()) -> None:
        self._pending.append((sql, tuple(params)))


class Database:
    READERS = 2  # read-only connections: reads outside a transaction never queue behind writes

    def __init__(
        self, path: Path, *, synchronous: str = "NORMAL", busy_timeout: float = 10.0, create: bool = True
    ) -> None:
        """``busy_timeout``: how long a statement waits for another connection's lock
        before it fails with "database is locked" (the loops then retry with backoff).
        ``create=False``: the CLI beside (or without) a daemon must never make a new
        empty database; opening a missing one raises ``NoDatabase``."""
        self.path = path
        self.synchronous = synchronous
        self.busy_timeout_ms = int(busy_timeout * 1000)
        self.create = create
        self.identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the file opened
        self._conn: aiosqlite.Connection | None = None
        self._readers: list[aiosqlite.Connection] = []
        self._next_reader = 0
        self._lock = asyncio.Lock()  # held by one hop or one reading transaction at a time
        self._active: dict[asyncio.Task[Any], Tx] = {}  # the tasks inside a transaction
        self._group: list[tuple[Work, asyncio.Future[Any]]] = []  # waiting for group commit
        self._flusher: asyncio.Task[None] | None = None
        self._reads: list[tuple[Work, asyncio.Future[Any]]] = []  # waiting for a reader
        self._reading_now = 0  # reader slots busy (at most one hop per reader)
        self._read_tasks: set[asyncio.Task[None]] = set()
        self._listeners: dict[str, list[Callable[[], None]]] = {}

    # ----- wake-ups after COMMIT ---------------------------------------------------------
    def on_commit(self, table: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every COMMIT that added work to ``table``."""
        self._listeners.setdefault(table, []).append(callback)

    def committed(self, tables: Iterable[str]) -> None:
        """Wake the consumers of ``tables``: work for them is committed (call after COMMIT)."""
        for table in tables:
            for callback in self._listeners.get(table, ()):
                callback()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    async def open(self) -> None:
        if self.create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves (explicit transactions).
        try:
            self._conn = await _connect(self.path, create=self.create)
        except sqlite3.OperationalError as exc:
            if self.create or self.path.exists():
                raise
            raise NoDatabase(f"no database at {self.path}; has `deputy run` started here?") from exc
        found = os.stat(self.path)
        self.identity = (found.st_dev, found.st_ino)
        self._conn.row_factory = sqlite3.Row
        await self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process crash (SIGKILL) without loss; only an OS
        # crash or power cut can lose the last commits. FULL is available in config.
        await self._conn.execute(f"PRAGMA synchronous={self.synchronous}")
        await self._conn.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self.migrate()
        for _ in range(self.READERS):
            reader = await _connect(self.path, create=self.create)
            reader.row_factory = sqlite3.Row
            await reader.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
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
        if self._flusher is not None:
            await asyncio.wait([self._flusher])
        readers, self._readers = self._readers, []
        for reader in readers:
            await reader.close()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    def _current(self) -> Tx | None:
        task = asyncio.current_task()
        return self._active.get(task) if task is not None else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("transaction outside a task")
        if task in self._active:
            raise RuntimeError("nested transaction")
        tx = Tx(self)
        self._active[task] = tx
        try:
            try:
                yield tx
            except BaseException:
                if tx.begun:
                    await hop(self.conn, rollback)
                raise
            if tx.begun:
                await hop(self.conn, commit, tx._pending)
            elif tx._pending:
                await self.write(run_statements, tx._pending)
        finally:
            del self._active[task]
            if tx.begun:
                self._lock.release()
        self.committed(tx.touched)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(sqlite3_connection, *args)`` on the database thread in a committed
        transaction, grouped with whatever other writes are waiting (group commit).

        Returns after the COMMIT that contains it; if ``fn`` raises, only its own writes
        are rolled back and the exception is raised here (``run_group``)."""
        if self._current() is not None and self._current().begun:  # type: ignore[union-attr]
            raise RuntimeError("write() inside an open transaction")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._group.append(((fn, args), future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name="db-group-commit")
        # Not shielded: a caller cancelled while its work waits in the group leaves that
        # work in the group (``_settle`` skips its cancelled future), exactly as a shield
        # would, without a second future per write.
        result: T = await future
        return result

    async def _flush(self) -> None:
        batch: list[tuple[Work, asyncio.Future[Any]]] = []
        try:
            while self._group:
                async with self._lock:
                    batch, self._group = self._group, []
                    try:
                        outcomes = await hop(self.conn, run_group, [work for work, _ in batch])
                    except Exception as exc:  # the group's COMMIT failed: none of it happened
                        outcomes = [(False, exc)] * len(batch)
                _settle(batch, outcomes)
                batch = []
        except BaseException as exc:  # cancelled (loop shutdown): nobody waits forever
            waiting, self._group = [*batch, *self._group], []
            stopped = RuntimeError(f"database writer stopped: {exc!r}")
            _settle(waiting, [(False, stopped)] * len(waiting))
            raise
        finally:
            self._flusher = None

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(sqlite3_connection, *args)`` as a read: several queries cost one
        round trip (a snapshot of one moment, since a reader sees one WAL state per hop).

        Inside the caller's own transaction it runs there and sees its writes; outside,
        on a read-only connection, batched with the reads of other coroutines."""
        tx = self._current()
        if tx is not None:
            return await tx.call(fn, *args)
        if not self._readers:
            async with self._lock:
                found = await hop(self.conn, read_batch, [(fn, args)])
            ok, value = found[0]
            if not ok:
                raise value
            return value  # type: ignore[no-any-return]
        # Reads outside a transaction see the last committed state (WAL), exactly what
        # the writer shows between transactions, so they need not wait for the write
        # lock. The reads of all coroutines that arrive together share one hop.
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._reads.append(((fn, args), future))
        if self._reading_now < len(self._readers):
            self._reading_now += 1
            asyncio.get_running_loop().call_soon(self._start_reads)
        return await future

    def _start_reads(self) -> None:
        if not self._reads:
            self._reading_now -= 1
            return
        batch, self._reads = self._reads, []
        reader = self._readers[self._next_reader]
        self._next_reader = (self._next_reader + 1) % len(self._readers)
        task = asyncio.get_running_loop().create_task(self._run_reads(reader, batch))
        self._read_tasks.add(task)
        task.add_done_callback(self._read_tasks.discard)

    async def _run_reads(
        self, reader: aiosqlite.Connection, batch: list[tuple[Work, asyncio.Future[Any]]]
    ) -> None:
        try:
            outcomes = await hop(reader, read_batch, [query for query, _ in batch])
        except BaseException as exc:
            outcomes = [(False, exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))] * len(batch)
            if not isinstance(exc, Exception):
                _settle(batch, outcomes)
                self._reading_now -= 1
                raise
        _settle(batch, outcomes)
        self._start_reads()  # whatever arrived meanwhile, on this reader slot

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        rows: list[sqlite3.Row] = await self.read(query, sql, tuple(params), False)
        return rows

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = await self.read(query, sql, tuple(params), True)
        return row

    def file_problem(self) -> str:
        """Why the path no longer names the file this database has open ("" when it
        does): deleted, or replaced by another file. One stat(2): cheap enough to call
        before every acknowledgement."""
        if self.identity is None:
            return ""
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return f"the database {self.path} was deleted while Deputy had it open"
        except OSError as exc:
            return f"the database {self.path} cannot be checked: {exc.strerror or exc}"
        if (found.st_dev, found.st_ino) != self.identity:
            return f"the database {self.path} was replaced by another file while Deputy had it open"
        return ""

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
