"""Timers survive wall-clock steps: the scheduler waits on the monotonic clock, compares
due times with the wall clock on every bounded wake-up, and when the wall clock steps
back it moves the pending timers with it, so a reminder due "in 36 s" still fires after
36 s of real time. After a forward step everything due by the new wall time fires.

The clock is injected: the test steps the wall clock and advances both; the loop itself
runs for real with a short bounded sleep."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from bot.owner import OwnerProfile
from bot.pipeline.scheduler import Scheduler
from bot.rules.model import Rulebook
from bot.store import OutboxRow, Store

START = 1_780_000_000.0  # 2026-05-28, a plain day


class SteppingClock:
    def __init__(self) -> None:
        self._wall = START
        self._mono = 1000.0

    def wall(self) -> float:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        """Real time passes: both clocks move."""
        self._wall += seconds
        self._mono += seconds

    def step(self, seconds: float) -> None:
        """Someone sets the wall clock: only it moves."""
        self._wall += seconds


def rulebook() -> Callable[[], Rulebook]:
    book = Rulebook(owner=OwnerProfile(timezone="UTC", digest_time="08:00"), rules=())
    return lambda: book


@pytest.fixture
async def running(tmp_path) -> AsyncIterator[tuple[Store, Scheduler, SteppingClock]]:  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "d.db")
    await store.open()
    clock = SteppingClock()
    scheduler = Scheduler(
        store=store,
        rulebook=rulebook(),
        wake_workers=lambda: None,
        digest_enabled=False,
        clock=clock,
        max_sleep=0.01,
    )
    task = asyncio.create_task(scheduler.run())
    try:
        yield store, scheduler, clock
    finally:
        await scheduler.stop()
        await asyncio.wait_for(task, 5)
        await store.close()


async def add_timer(store: Store, key: str, due_at: float) -> None:
    async with store.db.transaction() as tx:
        await store.timers.add_in(tx, key=key, due_at=due_at, kind="reminder", payload={"thread": key})


async def fired(store: Store) -> list[str]:
    rows = await store.db.fetchall("SELECT id FROM inbox WHERE kind='timer_due' ORDER BY seq")
    return [r["id"].removeprefix("timer:") for r in rows]


async def settle() -> None:
    """Let the loop run a few rounds (it wakes every 10 ms of real time)."""
    await asyncio.sleep(0.08)


async def soon(store: Store, expected: list[str]) -> None:
    for _ in range(200):
        if await fired(store) == expected:
            return
        await asyncio.sleep(0.01)
    assert await fired(store) == expected


async def test_a_reminder_due_in_36_s_fires_after_a_one_hour_step_back(running) -> None:  # type: ignore[no-untyped-def]
    store, _, clock = running
    await add_timer(store, "remind", clock.wall() + 36)
    await settle()
    clock.step(-3600)
    await settle()
    clock.advance(30)
    await settle()
    assert await fired(store) == []  # not early
    clock.advance(7)  # 37 s of real time since it was set
    await soon(store, ["remind"])


async def test_a_timer_set_after_the_step_keeps_its_own_due_time(running) -> None:  # type: ignore[no-untyped-def]
    store, _, clock = running
    clock.step(-3600)
    await settle()
    await add_timer(store, "after", clock.wall() + 100)
    await settle()
    clock.advance(50)
    await settle()
    assert await fired(store) == []
    clock.advance(51)
    await soon(store, ["after"])


async def test_two_hour_deadlines_fire_after_a_three_hour_step_forward(running) -> None:  # type: ignore[no-untyped-def]
    store, _, clock = running
    await add_timer(store, "deadline-a", clock.wall() + 7200)
    await add_timer(store, "deadline-b", clock.wall() + 7300)
    await add_timer(store, "tomorrow", clock.wall() + 86400)
    await settle()
    assert await fired(store) == []
    clock.step(3 * 3600)
    await soon(store, ["deadline-a", "deadline-b"])


async def test_a_timer_written_by_a_desk_wakes_the_scheduler(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A timer due now fires without waiting out the bounded sleep (here an hour)."""
    store = Store(tmp_path / "d.db")
    await store.open()
    clock = SteppingClock()
    scheduler = Scheduler(
        store=store,
        rulebook=rulebook(),
        wake_workers=lambda: None,
        digest_enabled=False,
        clock=clock,
        max_sleep=3600,
    )
    task = asyncio.create_task(scheduler.run())
    try:
        await settle()
        await add_timer(store, "now", clock.wall())
        await soon(store, ["now"])
    finally:
        await scheduler.stop()
        await asyncio.wait_for(task, 5)
        await store.close()


async def _waiting_delivery(store: Store, clock: SteppingClock) -> tuple[float, float]:
    """A reply the relay refused 100 s ago, its next try due in 10 minutes."""
    async with store.db.transaction() as tx:
        await store.outbox.add_in(
            tx,
            OutboxRow(key="reply-1", event_id="e1", connector="local", op="send", payload={"text": "hi"}),
        )
        await tx.execute(
            "UPDATE outbox SET first_tried_at=?, next_at=?, attempts=3 WHERE key='reply-1'",
            (clock.wall() - 100, clock.wall() + 600),
        )
    return clock.wall() - 100, clock.wall() + 600


async def _times(store: Store) -> tuple[float, float]:
    row = await store.db.fetchone("SELECT first_tried_at, next_at FROM outbox WHERE key='reply-1'")
    assert row is not None
    return row["first_tried_at"], row["next_at"]


async def test_a_retry_waiting_moves_back_with_a_step_back(running) -> None:  # type: ignore[no-untyped-def]
    """Not held for the hour the clock lost, and its age (what give_up_after measures)
    stays the time that really passed."""
    store, _, clock = running
    first, due = await _waiting_delivery(store, clock)
    await settle()
    clock.step(-3600)
    for _ in range(200):
        if await _times(store) != (first, due):
            break
        await asyncio.sleep(0.01)
    assert await _times(store) == (first - 3600, due - 3600)
    assert due - 3600 - clock.wall() == 600  # due 10 minutes from now, as before the step


async def test_a_step_forward_keeps_a_deliverys_age(running) -> None:  # type: ignore[no-untyped-def]
    store, _, clock = running
    first, due = await _waiting_delivery(store, clock)
    await settle()
    clock.step(3 * 3600)
    for _ in range(200):
        if await _times(store) != (first, due):
            break
        await asyncio.sleep(0.01)
    # 100 s old, not 3 h: a give_up_after of an hour is not spent by a clock correction;
    # the retry itself is due now (early is safe, the outbox key keeps it once).
    assert await _times(store) == (first + 3 * 3600, due)
    assert clock.wall() - (first + 3 * 3600) == 100
