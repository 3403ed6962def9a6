"""The store's round-trip batching keeps the transaction guarantees it replaced."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.channels.contract import emit_page
from bot.events import Event
from bot.store import Store
from bot.store import db as db_module


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


def _event(n: int) -> Event:
    return Event(
        id=f"test:{n}",
        channel="test",
        kind="message",
        thread=f"t{n % 3}",
        sender=f"s{n}@example.com",
        received_at=datetime.now(UTC),
        text=f"message {n}",
    )


async def test_a_page_of_emits_is_committed_together_in_source_order(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups: list[int] = []
    run_group = db_module.run_group

    def counting(conn: sqlite3.Connection, items: list) -> list:  # type: ignore[type-arg]
        groups.append(len(items))
        return run_group(conn, items)

    monkeypatch.setattr(db_module, "run_group", counting)  # as the writer looks it up
    events = [_event(n) for n in range(50)]
    assert await emit_page(store.inbox.add, events) == (50, None)
    assert groups == [50]  # one transaction, one COMMIT, for the whole page
    rows = await store.db.fetchall("SELECT id FROM inbox ORDER BY seq")
    assert [r["id"] for r in rows] == [e.id for e in events]


async def test_emit_page_counts_only_the_committed_prefix(store: Store) -> None:
    async def emit(event: Event) -> bool:
        if event.id == "test:3":
            raise RuntimeError("the inbox refused it")
        return await store.inbox.add(event)

    committed, error = await emit_page(emit, [_event(n) for n in range(6)])
    assert committed == 3
    assert isinstance(error, RuntimeError)
