"""How long the event loop went without running anything: the daemon's stall probe.

One mail, one pattern or one blocking call on the loop stalls every channel at once (a
banner, a getUpdates, an IDLE push all wait). A task that sleeps ``period`` and records
how late it woke measures it from the inside; the longest stall is kept for ``deputy``
benchmarks and soaks, and a stall over ``warn_after`` is logged (at most one line per
``quiet`` seconds, so a stalled machine does not flood the log).
"""

from __future__ import annotations

import asyncio
import logging
import time

log = logging.getLogger("deputy.lag")


class LoopLag:
    def __init__(self, *, period: float = 0.01, warn_after: float = 0.1, quiet: float = 60.0) -> None:
        self.period = period
        self.warn_after = warn_after
        self.quiet = quiet
        self.worst = 0.0  # seconds the loop was late, the longest since start (or reset)
        self._stopping = False
        self._warned = float("-inf")

    def reset(self) -> float:
        """The longest stall so far, and start over (a soak reads it per fault)."""
        worst, self.worst = self.worst, 0.0
        return worst

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not self._stopping:
            await asyncio.sleep(self.period)
            now = loop.time()
            late = now - last - self.period
            last = now
            if late > self.worst:
                self.worst = late
            if late > self.warn_after and time.monotonic() - self._warned > self.quiet:
                self._warned = time.monotonic()
                log.warning("the event loop stalled for %.0f ms", late * 1000)

    async def stop(self) -> None:
        self._stopping = True
