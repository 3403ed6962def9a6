"""The calendar over CalDAV (RFC 4791), with caldav's synchronous client in a thread.

One worker thread at a time (a lock): the client keeps one HTTP session, and calendar
writes are rare. Everything the connector needs is here: busy time (free-busy-query
REPORT, RFC 4791 7.10), an event by UID, and storing an event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from caldav.davclient import DAVClient
from caldav.lib import error as dav

from bot.calendar.ical import busy_periods
from connectors.caldav.errors import translate
from connectors.caldav.settings import CalDavSettings

T = TypeVar("T")


class CalendarClient:
    def __init__(self, settings: CalDavSettings, *, password: str) -> None:
        self._settings = settings
        self._password = password
        self._lock = asyncio.Lock()
        self._calendar: Any = None

    async def _run(self, what: str, fn: Callable[[], T]) -> T:
        async with self._lock:
            try:
                return await asyncio.to_thread(fn)
            except Exception as exc:
                raise translate(exc, what=what) from exc

    def _open(self) -> Any:
        if self._calendar is not None:
            return self._calendar
        s = self._settings
        client = DAVClient(
            url=s.url,
            username=s.username or None,
            password=self._password or None,
            timeout=max(1, round(s.timeout_seconds)),
        )
        principal = client.principal()
        calendars = principal.calendars()
        if s.calendar:
            wanted = [
                c
                for c in calendars
                if s.calendar in (c.get_display_name(), str(c.url), str(c.url).rstrip("/").split("/")[-1])
            ]
            if not wanted:
                raise dav.NotFoundError(f"no calendar named {s.calendar!r}")
            calendars = wanted
        if not calendars:
            raise dav.NotFoundError("the account has no calendar")
        self._calendar = calendars[0]
        return self._calendar

    async def connect(self) -> None:
        await self._run("connect", self._open)

    async def busy(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        def read() -> list[tuple[datetime, datetime]]:
            answer = self._open().freebusy_request(start, end)
            return busy_periods(str(answer.data))

        return await self._run("free-busy query", read)

    async def has(self, uid: str) -> bool:
        def look() -> bool:
            try:
                self._open().event_by_uid(uid)
            except dav.NotFoundError:
                return False
            return True

        return await self._run("look-up by UID", look)

    async def save(self, ics: str) -> str:
        """Store a calendar object (no METHOD); the same UID again replaces it (PUT)."""
        return await self._run("save", lambda: str(self._open().save_event(ics).url))

    async def read(self, uid: str) -> str:
        return await self._run("read", lambda: str(self._open().event_by_uid(uid).data))
