"""Time, turned into events. The scheduler never acts: it only inserts ``digest_due``
and ``timer_due`` events into the inbox, and the workers handle them like any other.

An interval job polls the timers table once a second (a cheap indexed query), so a timer written
by any transaction is seen promptly without coupling writers to the scheduler.

Exactly one digest per day falls out of the inbox key ``scheduler:digest:<local date>``:
downtime over the digest hour is caught up at the next tick, a restart inserts nothing
new, and DST changes cannot make a local date happen twice. APScheduler only drives the clock;
the durable timers table stays the one source of truth, so nothing depends on
APScheduler's in-memory job store surviving a restart.
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
        self._last_digest_id = ""

    async def tick(self) -> int:
        now = self.clock()
        emitted = await self.store.timers.fire_due(now=now)
        if self.digest_enabled:
            owner = self.rulebook().owner
            event = digest_event(now, timezone=owner.timezone, digest_time=owner.digest_time)
            # The inbox key makes the insert idempotent; remembering the date only saves a
            # write transaction per tick for the rest of the day.
            if event is not None and event.id != self._last_digest_id:
                if await self.store.inbox.add(event):
                    log.info("digest for %s is due", event.refs["date"])
                    emitted += 1
                self._last_digest_id = event.id
        if emitted:
            self.wake_workers()
        return emitted

    async def run(self) -> None:
        """APScheduler drives the clock: a cron job at the owner's digest time (in the
        owner's time zone, DST-aware) and a short interval job for durable timers. Both
        only call ``tick``, which only inserts events; ``tick`` on start catches up
        whatever fell due while Deputy was down."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = AsyncIOScheduler()
        common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        scheduler.add_job(self._safe_tick, IntervalTrigger(seconds=self.max_sleep), id="timers", **common)
        if self.digest_enabled:
            owner = self.rulebook().owner
            hour, minute = (int(x) for x in owner.digest_time.split(":"))
            trigger = CronTrigger(hour=hour, minute=minute, timezone=ZoneInfo(owner.timezone))
            scheduler.add_job(self._safe_tick, trigger, id="digest", **common)
        await self._safe_tick()
        scheduler.start()
        try:
            await self._stopping.wait()
        finally:
            scheduler.shutdown(wait=False)

    async def _safe_tick(self) -> None:
        try:
            await self.tick()
        except Exception:
            log.exception("scheduler tick failed")

    async def stop(self) -> None:
        self._stopping.set()
