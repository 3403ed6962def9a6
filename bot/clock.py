"""Two clocks, because they answer different questions: the wall clock says what time
it is (due dates, the digest hour), the monotonic clock says how much time has passed
(how long to wait). The wall clock can step (NTP, a suspended laptop, an operator); the
monotonic clock never goes back. Code that waits takes a ``Clock`` so tests can step
the wall clock without waiting.
"""

from __future__ import annotations

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
