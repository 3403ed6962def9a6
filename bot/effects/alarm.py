"""Tells the owner when a part of Deputy stops working, once per outage.

An outage starts when the first part turns degraded and ends when every part works
again; parts that fail meanwhile (a full disk stops the workers, the sender and the
scheduler alike) belong to the same outage. The owner hears of it once, on the first
path that works: an owner notice through the outbox, or, when the database itself is
what failed, the console log (``data/owner.log``, the end of the line that
bot/effects/sender.py ``_fail`` re-routes to) and then one notice through the outbox
when the outage is over; and when the first notice went through the outbox, one more
when the outage is over, so the owner is never left thinking it is still down. Never one
per retry.

The alarm is a loop of its own (supervised like the others): the health registry hands
it each change synchronously, and a notice that cannot be written yet is tried again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.health import PartHealth

log = logging.getLogger("deputy.alarm")

Notice = Callable[[str, str], Awaitable[None]]  # (key, text): an owner notice, committed


def _at(moment: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(moment))


class Alarm:
    PART = "alarm"  # its own part: its failures are the supervisor's to log, not to tell

    def __init__(self, *, notice: Notice, console: Path) -> None:
        self.notice = notice
        self.console = console
        self._changes: deque[PartHealth] = deque()
        self._arrived = asyncio.Event()
        self._stopping = False
        self._down: dict[str, PartHealth] = {}  # the parts degraded in this outage
        self._reasons: dict[str, str] = {}  # every part that failed in this outage
        self._outage: float | None = None  # when it began
        self._told = ""  # "outbox" or "console"

    def changed(self, now: PartHealth, before: PartHealth) -> None:
        """A health listener: queue the change for the loop."""
        if now.part != self.PART:
            self._changes.append(now)
            self._arrived.set()

    async def run(self) -> None:
        while not self._stopping:
            if not self._changes:
                self._arrived.clear()
                await self._arrived.wait()
                continue
            await self._handle(self._changes[0])  # raises: retried, the change still queued
            self._changes.popleft()

    async def stop(self) -> None:
        self._stopping = True
        self._arrived.set()

    async def _handle(self, change: PartHealth) -> None:
        if not change.ok:
            if not self._down:
                await self._began(change)
            self._down[change.part] = change
            self._reasons.setdefault(change.part, change.reason)
            return
        if self._down.get(change.part) is None:
            return
        if len(self._down) == 1 and self._outage is not None and self._told:
            await self.notice(f"outage:{self._outage:.3f}:over", self._over_text(change.since))
        del self._down[change.part]
        if not self._down:
            self._outage, self._told, self._reasons = None, "", {}

    async def _began(self, change: PartHealth) -> None:
        text = (
            f"Deputy's {change.part} stopped working at {_at(change.since)}: {change.reason}. "
            "It retries on its own; `deputy status` shows how it stands."
        )
        self._outage = change.since
        try:
            await self.notice(f"outage:{change.since:.3f}", text)
            self._told = "outbox"
        except Exception as exc:  # the database is what failed: the console log
            log.warning("cannot write the owner's notice (%s); writing the console log", exc)
            self._write_console(f"outage:{change.since:.3f}", text)
            self._told = "console"

    def _over_text(self, until: float) -> str:
        assert self._outage is not None
        parts = "; ".join(f"{part}: {reason}" for part, reason in sorted(self._reasons.items()))
        return (
            f"Deputy could not work from {_at(self._outage)} to {_at(until)} ({parts}). "
            "It works again; what arrived meanwhile is being handled now."
        )

    def _write_console(self, key: str, text: str) -> None:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            self.console.parent.mkdir(parents=True, exist_ok=True)
            with self.console.open("a", encoding="utf-8") as handle:
                handle.write(f"--- {stamp} [notice] {key}\n{text}\n")
        except OSError as exc:  # a full disk: the error log line is all there is
            log.error("cannot write %s (%s): %s", self.console, exc.strerror or exc, text)
