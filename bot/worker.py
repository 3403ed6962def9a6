"""The worker pool: bounded concurrency across conversations, strict order inside one.

A dispatcher claims each idle thread's oldest pending event and hands it to a worker
task. An event that fails is retried with backoff; after ``max_attempts`` it is
quarantined with its reason and the owner is told once, so one poison event can never
stall the queue. Attempts are counted at claim time, so an event that crashes the whole
process is quarantined too.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

from bot.store import Claimed, Store

log = logging.getLogger("deputy.worker")

Handle = Callable[[Claimed], Awaitable[None]]
Quarantine = Callable[[Claimed, str], Awaitable[None]]


class WorkerPool:
    def __init__(
        self,
        *,
        store: Store,
        handle: Handle,
        quarantine: Quarantine,
        concurrency: int,
        max_attempts: int,
        idle_poll_seconds: float = 0.25,
    ) -> None:
        self.store = store
        self.handle = handle
        self.quarantine = quarantine
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.idle_poll_seconds = idle_poll_seconds
        self._busy: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            # Cleared before the claim: a wake while claiming runs the loop again, and
            # a claim that found less than it could take is not repeated for nothing.
            self._wake.clear()
            free = self.concurrency - len(self._tasks)
            claimed = []
            if free > 0:
                claimed = await self.store.inbox.claim(limit=free, busy_threads=self._busy)
            for item in claimed:
                self._busy.add(item.thread_key)
                task = asyncio.create_task(self._run_one(item), name=f"event:{item.event.id}")
                self._tasks.add(task)
                self._idle.clear()
                task.add_done_callback(self._done)
            if self._wake.is_set():
                continue  # new work or a free slot arrived meanwhile
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.idle_poll_seconds)
            except TimeoutError:
                pass

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()
        self._wake.set()

    async def _run_one(self, item: Claimed) -> None:
        try:
            if item.attempts > self.max_attempts:
                # Its earlier attempts never finished: it took the process down with it.
                await self.quarantine(item, f"interrupted {item.attempts - 1} times (the process died)")
                return
            try:
                await self.handle(item)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                log.exception("event %s failed (attempt %d): %s", item.event.id, item.attempts, reason)
                if item.attempts >= self.max_attempts:
                    await self.quarantine(item, reason)
                else:
                    delay = min(60.0, 0.5 * 2 ** (item.attempts - 1)) * random.uniform(0.5, 1.0)
                    await self.store.inbox.retry_later(item.seq, error=reason, delay=delay)
        finally:
            self._busy.discard(item.thread_key)

    async def drain(self) -> None:
        """Wait until nothing is in flight (used by shutdown and by tests)."""
        await self._idle.wait()

    async def stop(self) -> None:
        """Stop claiming; in-flight events finish (or stay pending if cancelled later)."""
        self._stopping = True
        self._wake.set()
        if self._tasks:
            await asyncio.wait(set(self._tasks))
