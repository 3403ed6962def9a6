"""The store's round-trip batching keeps the transaction guarantees it replaced."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.store import Store


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Store(tmp_path / "deputy.sqlite3")
    await s.open()
    yield s
    await s.close()


async def test_deferred_writes_commit_together_and_are_read_back_inside(store: Store) -> None:
    async with store.db.transaction() as tx:
        tx.defer("INSERT INTO kv (key, value) VALUES ('a', '1')")
        # A read inside the transaction sees its own deferred write.
        row = await store.db.fetchone("SELECT value FROM kv WHERE key='a'")
        assert row is not None and row[0] == "1"
        tx.defer("INSERT INTO kv (key, value) VALUES ('b', '2')")
    assert await store.kv.get("a") == "1"
    assert await store.kv.get("b") == "2"


async def test_a_failing_body_writes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as tx:
            tx.defer("INSERT INTO kv (key, value) VALUES ('x', '1')")
            raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as tx:
            await tx.execute("INSERT INTO kv (key, value) VALUES ('y', '1')")
            raise RuntimeError("boom")
    assert await store.kv.get("x") is None
    assert await store.kv.get("y") is None


async def test_group_commit_isolates_a_failing_member(store: Store) -> None:
    async def good(n: int) -> None:
        async with store.db.transaction() as tx:
            tx.defer("INSERT INTO kv (key, value) VALUES (?, 'ok')", (f"good{n}",))

    async def bad() -> None:
        async with store.db.transaction() as tx:
            tx.defer("INSERT INTO kv (key, value) VALUES ('bad', 'first')")
            tx.defer("INSERT INTO kv (key, value) VALUES ('good0', 'duplicate')")  # UNIQUE fails

    results = await asyncio.gather(good(0), bad(), good(1), good(2), return_exceptions=True)
    assert [type(r) for r in results] == [type(None), sqlite3.IntegrityError, type(None), type(None)]
    assert await store.kv.get("bad") is None  # the failing member left nothing behind
    assert [await store.kv.get(f"good{n}") for n in range(3)] == ["ok", "ok", "ok"]


async def test_concurrent_reads_share_hops_and_fail_alone(store: Store) -> None:
    await store.kv.set("k", "v")
    results = await asyncio.gather(
        *(store.kv.get("k") for _ in range(20)),
        store.db.fetchone("SELECT * FROM no_such_table"),
        return_exceptions=True,
    )
    assert results[:20] == ["v"] * 20
    assert isinstance(results[20], sqlite3.OperationalError)


async def test_nested_transaction_is_refused(store: Store) -> None:
    with pytest.raises(RuntimeError, match="nested"):
        async with store.db.transaction():
            async with store.db.transaction():
                pass
