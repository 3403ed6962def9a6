"""Work committed to the inbox, the outbox or the timers wakes its consumer at once.

The consumers' idle poll is set to a minute here, so anything that arrives only through
the poll fails the test; each commit path a desk or the executor uses is driven: a
reading transaction, a transaction that only deferred (the group writer's path), and
``Inbox.add``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.delivery import Delivery
from bot.pipeline.dispatcher import Dispatcher
from bot.pipeline.worker import WorkerPool
from bot.store import Claimed, OutboxRow, Store
from tests.unit.conftest import event

POLL = 60.0  # far beyond the test's patience: only a wake-up can pass it


class OutboxWatcher(Dispatcher[tuple[Delivery, str, "int | None"]]):
    """The sender's claim loop without a sender: records the keys it claimed."""

    def __init__(self, store: Store) -> None:
        super().__init__(concurrency=4, idle_poll_seconds=POLL)
        self.store = store
        self.claimed: list[str] = []
        store.db.on_commit("outbox", self.wake)

    async def claim(self, *, limit: int, busy_threads: set[str]) -> list[tuple[Delivery, str, int | None]]:
        return await self.store.outbox.claim(limit=limit, busy_threads=busy_threads)

    def thread_of(self, item: tuple[Delivery, str, int | None]) -> str:
        return item[1]

    async def work(self, item: tuple[Delivery, str, int | None]) -> None:
        self.claimed.append(item[0].key)


def row(key: str) -> OutboxRow:
    return OutboxRow(key=key, event_id="e", connector="local", op="send", payload={}, thread=key)


async def soon(cond: Callable[[], bool], *, within: float = 5.0) -> None:
    async def wait() -> None:
        while not cond():  # noqa: ASYNC110 (polling another component's state)
            await asyncio.sleep(0.005)

    await asyncio.wait_for(wait(), within)


async def running(loop: Callable[[], Awaitable[None]], body: Callable[[], Awaitable[None]]) -> None:
    task = asyncio.create_task(loop())
    try:
        await asyncio.sleep(0.05)  # the loop has claimed nothing and sleeps on its poll
        await body()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_outbox_rows_committed_by_any_path_wake_the_sender(store: Store) -> None:
    watcher = OutboxWatcher(store)

    async def body() -> None:
        async with store.db.transaction() as tx:  # a transaction that only deferred
            await store.outbox.add_in(tx, row("deferred"))
        await soon(lambda: "deferred" in watcher.claimed)
        async with store.db.transaction() as tx:  # one that read: it holds the write lock
            await tx.execute("SELECT 1")
            await store.outbox.add_in(tx, row("read"))
        await soon(lambda: "read" in watcher.claimed)

    await running(watcher.run, body)


async def test_inbox_events_committed_inside_a_transaction_wake_the_workers(store: Store) -> None:
    handled: list[str] = []

    async def handle(item: Claimed) -> None:
        handled.append(item.event.id)
        async with store.db.transaction() as tx:
            await store.inbox.finish_in(tx, item.seq)

    async def quarantine(item: Claimed, reason: str) -> None:
        raise AssertionError(reason)

    pool = WorkerPool(
        store=store,
        handle=handle,
        quarantine=quarantine,
        concurrency=4,
        max_attempts=3,
        idle_poll_seconds=POLL,
    )

    async def body() -> None:
        async with store.db.transaction() as tx:  # e.g. a hand-off between desks, a fired timer
            await store.inbox.add_in(tx, event(1))
        await soon(lambda: handled == ["local:t1:1"])
        await store.inbox.add(event(2, thread="t2"))  # the connectors' path, without emit's wake
        await soon(lambda: handled == ["local:t1:1", "local:t2:2"])

    await running(pool.run, body)


async def test_a_rolled_back_transaction_wakes_nobody(store: Store, tmp_path: Path) -> None:
    woken: list[str] = []
    store.db.on_commit("outbox", lambda: woken.append("outbox"))
    try:
        async with store.db.transaction() as tx:
            await store.outbox.add_in(tx, row("never"))
            await tx.execute("SELECT 1")
            raise RuntimeError("the desk failed")
    except RuntimeError:
        pass
    async with store.db.transaction() as tx:
        await store.outbox.add_in(tx, row("once"))
    assert woken == ["outbox"]
    counts: dict[str, Any] = await store.outbox.counts()
    assert counts == {"pending": 1}
