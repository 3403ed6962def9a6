"""Keeps a long-lived loop running: a loop that fails is restarted with backoff, its part
marked degraded in the health registry, and marked ok again when it works.

A locked or full database used to end a loop for good ("task workers died") and
nothing was handled until a restart. Whatever a loop raises (``database is locked``,
``disk I/O error``, ``database or disk is full``, an OSError, a bug) is retried with
capped full-jitter backoff (bot/backoff.py); telling the owner is the health
listeners' business (bot/effects/alarm.py), once per outage and not once per retry.

A loop says it works by calling its ``beat`` after a round that reached the database
(the claim loops, the scheduler); a degraded part counts as working again once it has
beaten for ``recover_after`` seconds without a failure, so a loop that fails every other
round does not flap between the two (each flap would be an outage for the alarm). A
loop without beats counts as working once it has run ``settle`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.backoff import Backoff
from bot.clock import wait_until_set
from bot.health import Health

log = logging.getLogger("deputy.supervisor")


class Loop(Protocol):
    def run(self) -> Awaitable[None]: ...


class Beating(Loop, Protocol):
    beat: Callable[[], None]


class Restartable:
    """A loop given as a function that starts it (a connector's intake coroutine): each
    restart calls it again for a fresh coroutine."""

    def __init__(self, start: Callable[[], Awaitable[None]]) -> None:
        self._start = start

    def run(self) -> Awaitable[None]:
        return self._start()


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class Supervisor:
    def __init__(
        self,
        *,
        part: str,
        loop: Loop,
        health: Health,
        settle: float | None = None,
        recover_after: float = 1.0,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        stopping: asyncio.Event | None = None,
    ) -> None:
        """``settle`` None: the loop beats (it has a ``beat`` attribute, set here).
        ``stopping``: set when the loop's owner stops it; the backoff wait ends there and
        the loop is not started again (a stop never waits out a 30 s backoff)."""
        self.part = part
        self.loop = loop
        self.health = health
        self.settle = settle
        self.recover_after = recover_after
        self._failed_at = 0.0  # monotonic time of the last failure
        self.backoff = backoff or Backoff(base=0.2, cap=30.0)
        self.sleep = sleep
        self.stopping = stopping
        if settle is None:
            loop.beat = self.beat  # type: ignore[attr-defined]
        health.register(part)

    def beat(self) -> None:
        """The loop did a round that worked."""
        if self.health.part(self.part).ok:
            return
        if time.monotonic() - self._failed_at < self.recover_after:
            return
        self.backoff.reset()
        self.health.ok(self.part)

    async def run(self) -> None:
        while True:
            settled = (
                asyncio.get_running_loop().call_later(self.settle, self.beat)
                if self.settle is not None
                else None
            )
            try:
                await self.loop.run()
                return  # a loop returns when it was stopped
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = describe(exc)
                self._failed_at = time.monotonic()
                if self.health.degraded(self.part, reason):
                    log.error("%s failed; retrying with backoff", self.part, exc_info=exc)
                else:
                    log.warning("%s failed again: %s", self.part, reason)
            finally:
                if settled is not None:
                    settled.cancel()
            if await self._stopped_during(self.backoff.next()):
                return

    async def _stopped_during(self, seconds: float) -> bool:
        if self.stopping is None:
            await self.sleep(seconds)
            return False
        return await wait_until_set(self.stopping, seconds)
