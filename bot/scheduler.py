"""Time, turned into events. The scheduler never acts: it only inserts ``digest_due``
and ``timer_due`` events into the inbox, and the workers handle them like any other.

It polls its table once a second at most (a cheap indexed query), so a timer written
by any transaction is seen promptly without coupling writers to the scheduler.

Exactly one digest per day falls out of the inbox key ``scheduler:digest:<local date>``:
downtime over the digest hour is caught up at the next tick, a restart inserts nothing
new, and DST changes cannot make a local date happen twice. A plain loop over one
durable table is all this needs; APScheduler's in-memory jobs would add a second source
of truth for timers that must survive restarts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo

from bot.events import Event
from bot.rules.model import Rulebook
from bot.store import Store

log = logging.getLogger("deputy.scheduler")


def digest_event(now: float, *, timezone: str, digest_time: str) -> Event | None:
    """The digest event that is due at ``now``, or None before today's digest time."""
    tz = ZoneInfo(timezone)
    local = datetime.fromtimestamp(now, tz)
    hour, minute = (int(x) for x in digest_time.split(":"))
    if local.time() < dtime(hour, minute):
        return None
    day = local.date().isoformat()
    return Event(
        id=f"scheduler:digest:{day}",
        channel="scheduler",
        kind="digest_due",
        thread="digest",
        sender="",
        received_at=datetime.fromtimestamp(now, UTC),
        subject=f"digest {day}",
        refs={"date": day},
    )


class Scheduler:
    def __init__(
        self,
        *,
        store: Store,
        rulebook: Callable[[], Rulebook],
        wake_workers: Callable[[], None],
        digest_enabled: bool = True,
        clock: Callable[[], float] = time.time,
        max_sleep: float = 1.0,
    ) -> None:
        self.store = store
        self.rulebook = rulebook
        self.wake_workers = wake_workers
        self.digest_enabled = digest_enabled
        self.clock = clock
        self.max_sleep = max_sleep
        self._stopping = asyncio.Event()

    async def tick(self) -> int:
        now = self.clock()
        emitted = await self.store.timers.fire_due(now=now)
        if self.digest_enabled:
            owner = self.rulebook().owner
            event = digest_event(now, timezone=owner.timezone, digest_time=owner.digest_time)
            if event is not None and await self.store.inbox.add(event):
                log.info("digest for %s is due", event.refs["date"])
                emitted += 1
        if emitted:
            self.wake_workers()
        return emitted

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            next_due = await self.store.timers.next_due_at()
            sleep = (
                self.max_sleep
                if next_due is None
                else max(0.05, min(self.max_sleep, next_due - self.clock()))
            )
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=sleep)
            except TimeoutError:
                pass

    async def stop(self) -> None:
        self._stopping.set()
