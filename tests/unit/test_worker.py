"""bot.pipeline.worker: handled events, retry with backoff, quarantine after max attempts."""

from __future__ import annotations

import asyncio

from bot.pipeline.worker import WorkerPool
from bot.store import Claimed, Store
from tests.unit.conftest import event, rows


async def _drive(pool: WorkerPool, until: object) -> None:
    loop = asyncio.create_task(pool.run())
    try:
        for _ in range(500):
            if until():  # type: ignore[operator]
                break
            await asyncio.sleep(0.01)
    finally:
        await pool.stop()
        await loop


async def test_events_are_handled_in_thread_order(store: Store) -> None:
    for n in range(3):
        await store.inbox.add(event(n, thread="a"))
    await store.inbox.add(event(0, thread="b"))
    seen: list[str] = []

    async def handle(item: Claimed) -> None:
        seen.append(item.event.id)
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
        idle_poll_seconds=0.01,
    )
    await _drive(pool, lambda: len(seen) == 4)
    assert [i for i in seen if ":a:" in i] == ["local:a:0", "local:a:1", "local:a:2"]
    states = await rows(store, "SELECT state FROM inbox")
    assert {r["state"] for r in states} == {"done"}


async def test_a_failure_is_retried_later_with_its_reason(store: Store) -> None:
    await store.inbox.add(event(1))
    calls: list[int] = []

    async def handle(item: Claimed) -> None:
        calls.append(item.attempts)
        raise ValueError("boom")

    async def quarantine(item: Claimed, reason: str) -> None:
        raise AssertionError(reason)

    pool = WorkerPool(
        store=store,
        handle=handle,
        quarantine=quarantine,
        concurrency=1,
        max_attempts=3,
        idle_poll_seconds=0.01,
    )
    await _drive(pool, lambda: bool(calls))
    await pool.drain()
    [row] = await rows(store, "SELECT state, attempts, last_error FROM inbox")
    assert row == {"state": "pending", "attempts": 1, "last_error": "ValueError: boom"}


async def test_the_last_attempt_quarantines(store: Store) -> None:
    await store.inbox.add(event(1))
    quarantined: list[tuple[str, str, int]] = []

    async def handle(item: Claimed) -> None:
        raise RuntimeError("poison")

    async def quarantine(item: Claimed, reason: str) -> None:
        quarantined.append((item.event.id, reason, item.attempts))
        async with store.db.transaction() as tx:
            await store.inbox.quarantine_in(tx, item.seq, error=reason)

    pool = WorkerPool(
        store=store,
        handle=handle,
        quarantine=quarantine,
        concurrency=1,
        max_attempts=1,
        idle_poll_seconds=0.01,
    )
    await _drive(pool, lambda: bool(quarantined))
    assert quarantined == [("local:t1:1", "RuntimeError: poison", 1)]
    [row] = await rows(store, "SELECT state FROM inbox")
    assert row["state"] == "quarantined"


async def test_an_event_that_killed_the_process_is_quarantined_unhandled(store: Store) -> None:
    await store.inbox.add(event(1))
    # Two claims that never finished: the process died while handling it.
    for _ in range(2):
        await store.inbox.claim(limit=1, busy_threads=set())
        await store.inbox.recover()
    handled: list[str] = []
    quarantined: list[str] = []

    async def handle(item: Claimed) -> None:
        handled.append(item.event.id)

    async def quarantine(item: Claimed, reason: str) -> None:
        quarantined.append(reason)
        async with store.db.transaction() as tx:
            await store.inbox.quarantine_in(tx, item.seq, error=reason)

    pool = WorkerPool(
        store=store,
        handle=handle,
        quarantine=quarantine,
        concurrency=1,
        max_attempts=2,
        idle_poll_seconds=0.01,
    )
    await _drive(pool, lambda: bool(quarantined))
    assert handled == []
    assert quarantined == ["interrupted 2 times (the process died)"]


async def test_a_death_with_several_events_in_flight_charges_none_and_runs_them_one_at_a_time(
    store: Store,
) -> None:
    """A kill from outside while three conversations were in flight: none of them is to
    blame yet. Their attempts are given back, and as suspects they are claimed one at a
    time, so the next death names the one that was running."""
    for n in range(3):
        await store.inbox.add(event(n, thread=f"t{n}"))
    assert len(await store.inbox.claim(limit=3, busy_threads=set())) == 3
    assert await store.inbox.recover() == 3
    states = await rows(store, "SELECT attempts, suspect, state FROM inbox ORDER BY seq")
    assert states == [{"attempts": 0, "suspect": 1, "state": "pending"}] * 3

    [first] = await store.inbox.claim(limit=3, busy_threads=set())
    assert await store.inbox.claim(limit=3, busy_threads={first.thread_key}) == []  # one suspect at a time
    await store.inbox.add(event(9, thread="fresh"))
    [fresh] = await store.inbox.claim(limit=3, busy_threads={first.thread_key})
    assert fresh.event.id == "local:fresh:9"  # new mail is not held up by the suspects

    # The process dies again: the suspect that ran is charged, the fresh one is not.
    await store.inbox.recover()
    after = {r["id"]: r["attempts"] for r in await rows(store, "SELECT id, attempts FROM inbox")}
    assert after == {first.event.id: 1, "local:t1:1": 0, "local:t2:2": 0, "local:fresh:9": 0}


async def test_a_death_with_one_event_in_flight_charges_it(store: Store) -> None:
    await store.inbox.add(event(1))
    await store.inbox.add(event(2, thread="other"))
    [one] = await store.inbox.claim(limit=1, busy_threads=set())
    await store.inbox.recover()
    after = {r["id"]: r["attempts"] for r in await rows(store, "SELECT id, attempts FROM inbox")}
    assert after[one.event.id] == 1 and sum(after.values()) == 1
