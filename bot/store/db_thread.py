"""What runs on a SQLite connection's own thread: one call of these is one round trip.

aiosqlite runs every call on the connection's thread; ``hop`` hands it a whole function,
so a batch of statements (or a claim, or a judged event's reads) costs one hop instead of
one per statement and one per fetch. Everything here is synchronous sqlite3 code.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import aiosqlite

from bot.faults import failure

T = TypeVar("T")
Statement = tuple[str, tuple[Any, ...]]
Work = tuple[Callable[..., Any], tuple[Any, ...]]


class Result:
    """What a statement returned, read on the database thread in the same hop.

    Quacks like the aiosqlite cursor the callers used: ``rowcount``, ``lastrowid``,
    ``await fetchone()`` / ``await fetchall()``."""

    __slots__ = ("_next", "_rows", "lastrowid", "rowcount")

    def __init__(self, rows: list[sqlite3.Row], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> sqlite3.Row | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[sqlite3.Row]:
        rows, self._next = self._rows[self._next :], len(self._rows)
        return rows

    async def close(self) -> None:
        return None


# ----- functions that run on a connection's own thread (one hop per call) ----------------
def run_and_read(conn: sqlite3.Connection, statements: list[Statement]) -> Result:
    cur = None
    for sql, params in statements:
        cur = conn.execute(sql, params)
    assert cur is not None
    rows = cur.fetchall()
    return Result(rows, cur.rowcount, cur.lastrowid)


def rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def commit(conn: sqlite3.Connection, statements: list[Statement]) -> None:
    try:
        for sql, params in statements:
            conn.execute(sql, params)
        failure("commit")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def run_group(conn: sqlite3.Connection, items: list[Work]) -> list[tuple[bool, Any]]:
    """Group commit: the items of several coroutines in ONE transaction.

    Fast path: all items, then COMMIT. If anything fails, the whole transaction is rolled
    back and the group runs again with every item in its own savepoint, so a failing item
    is rolled back alone (its caller gets the exception) and the others commit together.
    Items only touch the database, so running one again after a rollback is harmless.
    Nothing is reported before the COMMIT that contains it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        values = [fn(conn, *args) for fn, args in items]
        failure("commit")
        conn.execute("COMMIT")
    except Exception:
        rollback(conn)  # and run again, item by item
    except BaseException:
        rollback(conn)
        raise
    else:
        return [(True, value) for value in values]
    outcomes: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for fn, args in items:
            conn.execute("SAVEPOINT item")
            try:
                value = fn(conn, *args)
            except Exception as exc:
                if not conn.in_transaction:  # SQLite gave up the whole transaction
                    raise
                conn.execute("ROLLBACK TO item")
                conn.execute("RELEASE item")
                outcomes.append((False, exc))
            else:
                conn.execute("RELEASE item")
                outcomes.append((True, value))
        failure("commit")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return outcomes


def run_statements(conn: sqlite3.Connection, statements: list[Statement]) -> None:
    for sql, params in statements:
        conn.execute(sql, params)


def query(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...], one: bool) -> Any:
    cur = conn.execute(sql, params)
    return cur.fetchone() if one else cur.fetchall()


def run_then(
    conn: sqlite3.Connection, statements: list[Statement], fn: Callable[..., T], args: tuple[Any, ...]
) -> T:
    """Inside a transaction: the queued statements, then a read that sees them."""
    for sql, params in statements:
        conn.execute(sql, params)
    return fn(conn, *args)


def read_batch(conn: sqlite3.Connection, items: list[Work]) -> list[tuple[bool, Any]]:
    """Several independent reads (of several coroutines) in one hop; each its own outcome."""
    outcomes: list[tuple[bool, Any]] = []
    for fn, args in items:
        try:
            outcomes.append((True, fn(conn, *args)))
        except Exception as exc:
            outcomes.append((False, exc))
    return outcomes


def pending_in_order(conn: sqlite3.Connection, sql: str, *, window: int) -> Iterator[sqlite3.Row]:
    """Rows of a claim scan, oldest first, read in growing pages until the caller stops
    iterating or ``window`` rows were seen. ``sql`` takes (after_seq, page_size).

    A claim used to read its whole window every time; with a backlog that was a
    millisecond per claim on the writer's thread, though a claim usually needs only the
    first few rows (issue 3)."""
    after, seen, page = -1, 0, 32
    while seen < window:
        rows = conn.execute(sql, (after, min(page, window - seen))).fetchall()
        yield from rows
        seen += len(rows)
        if len(rows) < page:
            return
        after = rows[-1]["seq"]
        page *= 2


async def hop(conn: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(sqlite3_connection, *args)`` on the connection's thread: one round trip.

    aiosqlite queues every call for its thread with ``_execute``; a whole batch of
    statements (or a small function) costs one hop instead of one per statement and
    one per fetch. This is the only place that uses that aiosqlite internal."""
    result: T = await conn._execute(fn, conn._conn, *args)
    return result
