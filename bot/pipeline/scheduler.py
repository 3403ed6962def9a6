"""Time, turned into events. The scheduler never acts: it only inserts ``digest_due``
and ``timer_due`` events into the inbox, and the workers handle them like any other.

Its loop waits on the monotonic clock, at most ``max_sleep`` at a time (sooner when a
timer is due, at once when a transaction adds a timer), and on every wake-up compares
the durable due times (wall-clock epoch) with the wall clock: everything due fires, so a
forward step of the wall clock (NTP, a suspended machine) catches up at once. A backward
step is seen as a jump in ``wall - monotonic``; the pending timers move back with it,
so a reminder set "in 36 s" still fires after 36 s of real time (the intent of every
timer Deputy sets is "so long from now"). APScheduler 3, used before, waited on the wall
clock: after a step back of an hour nothing fired for an hour.

Exactly one digest per day falls out of the inbox key ``scheduler:digest:<local date>``:
downtime over the digest hour is caught up at the next tick, a restart inserts nothing
new, and DST changes cannot make a local date happen twice. The durable timers table is
the one source of truth; nothing lives only in memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo

from bot.clock import SYSTEM, Clock, wait_until_set
from bot.events import Event
from bot.rules.model import Rulebook
from bot.store import Outbox, Store, Timers

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


def _no_beat() -> None:
    return None


class Scheduler:
    def __init__(
        self,
        *,
        store: Store,
        rulebook: Callable[[], Rulebook],
        wake_workers: Callable[[], None],
        digest_enabled: bool = True,
        clock: Clock = SYSTEM,
        max_sleep: float = 1.0,
        step_tolerance: float = 2.0,
    ) -> None:
        """``step_tolerance``: a change of ``wall - monotonic`` beyond this between two
        ticks is a step of the wall clock (NTP slews far less than that in a second)."""
        self.store = store
        self.rulebook = rulebook
        self.wake_workers = wake_workers
        self.digest_enabled = digest_enabled
        self.clock = clock
        self.max_sleep = max_sleep
        self.step_tolerance = step_tolerance
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._last_digest_id = ""
        self._offset: float | None = None  # wall - monotonic at the last tick
        self.beat: Callable[[], None] = _no_beat  # set by the supervisor: a tick worked
        store.db.on_commit("timers", self.wake)

    def wake(self) -> None:
        self._wake.set()

    async def tick(self) -> int:
        await self._follow_steps()
        now = self.clock.wall()
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

    async def _follow_steps(self) -> None:
        offset = self.clock.wall() - self.clock.monotonic()
        step = 0.0 if self._offset is None else offset - self._offset
        if abs(step) > self.step_tolerance:
            # One transaction: a failed shift is tried again whole at the next tick.
            async with self.store.db.transaction() as tx:
                moved = await Timers.shift_pending_in(tx, step) if step < 0 else 0
                deliveries = await Outbox.follow_clock_step_in(tx, step)
            if step < 0:
                log.warning(
                    "the wall clock stepped back by %.0f s: %d timers and %d deliveries moved with it",
                    -step,
                    moved,
                    deliveries,
                )
            else:
                log.warning("the wall clock stepped forward by %.0f s: what is due by now fires", step)
        self._offset = offset  # only once the timers moved: a failed shift is tried again

    async def run(self) -> None:
        """Until ``stop()``: tick, then sleep until the next timer, a new timer or
        ``max_sleep``, whichever comes first. The first tick catches up whatever fell
        due while Deputy was down. A tick that fails ends the loop: its supervisor
        restarts it with backoff and says so (bot/supervisor.py)."""
        while not self._stopping.is_set():
            self._wake.clear()  # before the tick: a timer committed meanwhile wakes us again
            await self.tick()
            self.beat()
            wait = self.max_sleep
            next_due = await self.store.timers.next_due_at()
            if next_due is not None:
                wait = max(0.0, min(wait, next_due - self.clock.wall()))
            if self._wake.is_set() or wait == 0.0:
                await asyncio.sleep(0)
                continue
            await wait_until_set(self._wake, wait)

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
