"""bot.pipeline.dispatcher: bounded concurrency across threads, strict order inside one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.pipeline.dispatcher import Dispatcher


class ListDispatcher(Dispatcher[tuple[str, int]]):
    """The smallest subclass: items come from a list, work is recorded."""

    def __init__(self, items: list[tuple[str, int]], *, concurrency: int) -> None:
        super().__init__(concurrency=concurrency, idle_poll_seconds=0.01)
        self.pending = list(items)
        self.done: list[tuple[str, int]] = []
        self.running = 0
        self.peak = 0
        self.gate = asyncio.Event()
        self.changed = asyncio.Event()

    async def until(self, cond: Callable[[], bool]) -> None:
        while not cond():
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 10)

    async def claim(self, *, limit: int, busy_threads: set[str]) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        taken: set[str] = set(busy_threads)
        for item in list(self.pending):
            if len(out) >= limit:
                break
            if item[0] in taken:
                continue  # only a thread's first pending item, and never a busy thread
            taken.add(item[0])
            out.append(item)
            self.pending.remove(item)
        return out

    def thread_of(self, item: tuple[str, int]) -> str:
        return item[0]

    async def work(self, item: tuple[str, int]) -> None:
        self.running += 1
        self.peak = max(self.peak, self.running)
        self.changed.set()
        await self.gate.wait()
        self.running -= 1
        self.done.append(item)
        self.changed.set()


async def _run_until_done(d: ListDispatcher, total: int) -> None:
    loop = asyncio.create_task(d.run())
    try:
        await d.until(lambda: len(d.done) >= total)
    finally:
        await d.stop()
        await loop


async def test_concurrency_is_bounded() -> None:
    d = ListDispatcher([(f"t{i}", 0) for i in range(10)], concurrency=3)
    d.gate.set()
    await _run_until_done(d, 10)
    assert d.peak <= 3
    assert sorted(d.done) == sorted((f"t{i}", 0) for i in range(10))


async def test_one_thread_stays_in_order() -> None:
    items = [("a", 1), ("b", 1), ("a", 2), ("a", 3), ("b", 2)]
    d = ListDispatcher(items, concurrency=4)
    d.gate.set()
    await _run_until_done(d, 5)
    assert [n for t, n in d.done if t == "a"] == [1, 2, 3]
    assert [n for t, n in d.done if t == "b"] == [1, 2]


async def test_a_busy_thread_is_not_claimed_again() -> None:
    d = ListDispatcher([("a", 1), ("a", 2)], concurrency=4)
    loop = asyncio.create_task(d.run())
    await d.until(lambda: d.running > 0)
    await asyncio.sleep(0.05)
    assert d.running == 1 and d.pending == [("a", 2)]
    d.gate.set()
    await d.until(lambda: len(d.done) == 2)
    await d.drain()
    await d.stop()
    await loop
    assert d.done == [("a", 1), ("a", 2)]


async def test_stop_finishes_in_flight_and_is_idempotent() -> None:
    d = ListDispatcher([("a", 1)], concurrency=1)
    loop = asyncio.create_task(d.run())
    await d.until(lambda: d.running > 0)
    stopping = asyncio.create_task(d.stop())
    await asyncio.sleep(0.02)
    assert not stopping.done()  # waits for the item in flight
    d.gate.set()
    await stopping
    await d.stop()
    await loop
    assert d.done == [("a", 1)]
