"""A loop that waits for a wake-up must stop when cancelled, even when the wake-up and
the cancellation land in the same turn of the event loop (the dispatcher's claim loop
hung a test for 20 minutes that way on Python 3.11)."""

from __future__ import annotations

import asyncio

from bot.clock import wait_until_set


async def _waiting_loop(wake: asyncio.Event, rounds: list[int]) -> None:
    while True:
        await wait_until_set(wake, 60.0)
        wake.clear()
        rounds.append(1)


async def test_a_cancel_that_meets_the_wake_up_stops_the_loop() -> None:
    wake = asyncio.Event()
    rounds: list[int] = []
    task = asyncio.create_task(_waiting_loop(wake, rounds))
    await asyncio.sleep(0)  # the loop now waits on the event
    wake.set()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5.0)
    assert task in done and task.cancelled()
    assert rounds == []


async def test_it_says_whether_the_event_was_set() -> None:
    wake = asyncio.Event()
    assert await wait_until_set(wake, 0.01) is False
    wake.set()
    assert await wait_until_set(wake, 0.01) is True
