"""The claim loop that the worker pool and the sender share: claim what is due for idle
threads, run each item in its own task, keep a thread busy until its item is done (so
one conversation stays in order), and sleep until woken or a short poll passes (a CLI
process may have written work into the database).

Waking cannot be lost: the event is cleared before the claim, so a commit that lands
while claiming (its wake-up comes after its COMMIT) runs the loop again.

An item whose work raised (its own error handling could not write: a locked or full
database) is an orphan: still claimed in the database, so nothing else takes it. The
loop hands it back (``release``) before its next claim, then fails (``WorkFailed``):
its supervisor retries it with backoff (bot/supervisor.py) and says which part is in
trouble.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from bot.clock import wait_until_set

Item = TypeVar("Item")

log = logging.getLogger("deputy.dispatcher")


def _no_beat() -> None:
    return None


class WorkFailed(Exception):
    """Work on claimed items raised; they were handed back. The loop fails with this so
    that its supervisor backs off (a full disk would otherwise be retried in a hot loop)
    and says the part is degraded."""


class Dispatcher(Generic[Item]):
    def __init__(self, *, concurrency: int, idle_poll_seconds: float = 0.25) -> None:
        self.concurrency = concurrency
        self.idle_poll_seconds = idle_poll_seconds
        self._busy: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._orphans: list[tuple[Item, str]] = []
        self.beat: Callable[[], None] = _no_beat  # set by the supervisor: a round worked

    # ----- what a subclass provides -----------------------------------------------------
    async def claim(self, *, limit: int, busy_threads: set[str]) -> list[Item]:
        raise NotImplementedError

    def thread_of(self, item: Item) -> str:
        raise NotImplementedError

    async def work(self, item: Item) -> None:
        raise NotImplementedError

    async def release(self, item: Item, error: str) -> None:
        """Hand back an item whose work raised, so that it is claimed again."""
        raise NotImplementedError

    # ----- the loop ---------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            # Cleared before the claim: a wake while claiming runs the loop again, and
            # a claim that found less than it could take is not repeated for nothing.
            self._wake.clear()
            await self._release_orphans()
            free = self.concurrency - len(self._tasks)
            claimed = await self.claim(limit=free, busy_threads=self._busy) if free > 0 else []
            self.beat()
            for item in claimed:
                thread = self.thread_of(item)
                self._busy.add(thread)
                task = asyncio.create_task(self._run(item, thread))
                self._tasks.add(task)
                self._idle.clear()
                task.add_done_callback(self._done)
            if self._wake.is_set():
                continue  # new work or a free slot arrived meanwhile
            await wait_until_set(self._wake, self.idle_poll_seconds)

    async def _release_orphans(self) -> None:
        released = 0
        while self._orphans:
            item, error = self._orphans[0]
            await self.release(item, error)  # raises while the database still fails
            self._orphans.pop(0)
            released += 1
            log.warning("handed back %s after: %s", self.thread_of(item), error)
        if released:
            raise WorkFailed(f"{released} item(s) handed back after: {error}")

    async def _run(self, item: Item, thread: str) -> None:
        try:
            await self.work(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("work on %s failed: %s: %s", thread, type(exc).__name__, exc)
            self._orphans.append((item, f"{type(exc).__name__}: {exc}"))
        finally:
            self._busy.discard(thread)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()
        self._wake.set()

    async def drain(self) -> None:
        """Wait until nothing is in flight (used by shutdown and by tests)."""
        await self._idle.wait()

    async def stop(self) -> None:
        """Stop claiming; what is in flight finishes (idempotent)."""
        self._stopping = True
        self._wake.set()
        if self._tasks:
            await asyncio.wait(set(self._tasks))
