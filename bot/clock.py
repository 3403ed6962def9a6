"""Two clocks, because they answer different questions: the wall clock says what time
it is (due dates, the digest hour), the monotonic clock says how much time has passed
(how long to wait). The wall clock can step (NTP, a suspended laptop, an operator); the
monotonic clock never goes back. Code that waits takes a ``Clock`` so tests can step
the wall clock without waiting.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def wall(self) -> float:
        """Seconds since the epoch (time.time): may jump either way."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin (time.monotonic): never goes back."""
        ...


class SystemClock:
    def wall(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM = SystemClock()


async def wait_until_set(event: asyncio.Event, seconds: float) -> bool:
    """Wait for ``event`` at most ``seconds``; True if it was set.

    Not ``asyncio.wait_for(event.wait(), timeout)``: on Python 3.11 that returns normally
    when the event is set in the same loop iteration as the caller is cancelled, so the
    cancellation is lost and a loop that waits this way never stops (CPython gh-86296,
    fixed in 3.12 by building wait_for on ``asyncio.timeout``, as this does).
    """
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return event.is_set()
    return True
