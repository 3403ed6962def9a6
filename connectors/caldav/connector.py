"""The calendar channel: it reads free time and writes events; it never sends mail.

Intake is a refresh loop, not events: every ``refresh_seconds`` the free slots of the
coming days are read (a free-busy query) and kept in the connector's durable state,
where the decision step reads them for a reply that offers times (``$free_slots``).
``deliver`` carries out two outbox operations:

- ``book``: store the event a correspondent accepted, once: its UID comes from the
  idempotency key, so a retry (or a resend after a crash) finds it and stops; a slot
  that became busy meanwhile is refused, and the owner is told by the delivery failure;
- ``answer_invite``: store an invitation we accept (METHOD removed, our PARTSTAT set).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.calendar import ical
from bot.calendar.slots import STATE_KEY, WorkingTime, encode, free_slots
from bot.channels.contract import ConnectorRuntime, Emit
from bot.clock import wait_until_set
from bot.delivery import Delivery
from bot.errors import ConfigError, DeputyError, PermanentError, TransientError
from connectors.caldav.settings import CalDavSettings

log = logging.getLogger("deputy.caldav")


class CalDavConnector:
    def __init__(self, *, name: str, settings: CalDavSettings, runtime: ConnectorRuntime) -> None:
        self.name = name
        self.settings = settings
        self._runtime = runtime
        self._client: Any = None  # connectors.caldav.client.CalendarClient, imported at start
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Read now, so that `deputy check` (which builds connectors) names a missing one.
        env = settings.password_env
        self._password = runtime.secret(env, key="password_env") if env else ""

    @property
    def work(self) -> WorkingTime:
        s = self.settings
        return WorkingTime(
            timezone=self._runtime.owner.timezone or "UTC",
            start=s.day_start,
            end=s.day_end,
            days=frozenset(s.working_days),
            slot_minutes=s.slot_minutes,
            notice_hours=s.notice_hours,
            days_ahead=s.days_ahead,
        )

    async def start(self, emit: Emit) -> None:
        try:
            # Imported here: caldav is an optional install (``deputy[calendar]``), and a
            # config that names this channel without it must fail with these words.
            from connectors.caldav.client import CalendarClient
        except ImportError as exc:
            raise ConfigError(
                f"channels.{self.name}: the caldav package is not installed ({exc.name}); README: Calendar"
            ) from None
        self._client = CalendarClient(self.settings, password=self._password)
        self._stopping.clear()
        self._task = self._runtime.spawn(self._refresh_loop(), f"{self.name}-refresh")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def refresh(self) -> None:
        """Read the free slots now and keep them for the next reply that offers times."""
        client = self._require()
        now = datetime.now(UTC)
        busy = await client.busy(now, now + timedelta(days=self.settings.days_ahead + 1))
        slots = free_slots(busy, now=now, work=self.work, count=self.settings.offer)
        await self._runtime.state.set(STATE_KEY, encode(slots, busy))

    async def _refresh_loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                await self.refresh()
                failures = 0
            except DeputyError as exc:
                failures += 1
                if failures == 1:  # once per outage, not once a minute
                    log.warning("%s: free time not read: %s", self.name, exc)
            await wait_until_set(self._stopping, self.settings.refresh_seconds)

    def _require(self) -> Any:
        if self._client is None:
            raise TransientError(f"{self.name}: not started")
        return self._client

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        client = self._require()
        text = str(delivery.payload.get("ics", ""))
        if delivery.op == "book":
            return await self._book(client, text)
        if delivery.op == "answer_invite":
            answer = str(delivery.payload.get("answer", ""))
            if answer not in ("accept", "tentative"):
                return {"stored": "no"}  # a declined invitation is answered, not kept
            uid = ical.uid_of(text)
            await client.save(ical.stored(text, attendee=str(delivery.payload["attendee"]), answer=answer))
            await self._refresh_quietly()
            return {"uid": uid, "stored": "yes"}
        raise PermanentError(f"{self.name}: unknown operation {delivery.op!r}")

    async def _book(self, client: Any, text: str) -> Mapping[str, str]:
        try:
            uid = ical.uid_of(text)
            event = ical.first_event(ical.parse(text))
        except ical.CalendarError as exc:
            raise PermanentError(f"{self.name}: {exc}") from None
        if await client.has(uid):
            return {"uid": uid, "existing": "yes"}  # booked before a crash or a lost answer
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        if any(b0 < end and start < b1 for b0, b1 in await client.busy(start, end)):
            raise PermanentError(
                f"{self.name}: {start:%Y-%m-%d %H:%M} UTC is no longer free; nothing was booked"
            )
        await client.save(ical.stored(text))
        await self._refresh_quietly()
        return {"uid": uid, "existing": "no"}

    async def _refresh_quietly(self) -> None:
        try:
            await self.refresh()
        except DeputyError as exc:
            log.warning("%s: free time not read again: %s", self.name, exc)
