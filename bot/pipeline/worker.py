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
from collections.abc import Awaitable, Callable

from bot import backoff
from bot.pipeline.dispatcher import Dispatcher
from bot.store import Claimed, Store
from bot.store.transient import transient

log = logging.getLogger("deputy.worker")

Handle = Callable[[Claimed], Awaitable[None]]
Quarantine = Callable[[Claimed, str], Awaitable[None]]


class WorkerPool(Dispatcher[Claimed]):
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
        super().__init__(concurrency=concurrency, idle_poll_seconds=idle_poll_seconds)
        self.store = store
        self.handle = handle
        self.quarantine = quarantine
        self.max_attempts = max_attempts
        store.db.on_commit("inbox", self.wake)  # any commit that adds an event, not only emit's

    async def claim(self, *, limit: int, busy_threads: set[str]) -> list[Claimed]:
        return await self.store.inbox.claim(limit=limit, busy_threads=busy_threads)

    def thread_of(self, item: Claimed) -> str:
        return item.thread_key

    async def release(self, item: Claimed, error: str) -> None:
        await self.store.inbox.release(item.seq, error=error)

    async def work(self, item: Claimed) -> None:
        if item.attempts > self.max_attempts:
            # Its earlier attempts never finished: it took the process down with it.
            await self.quarantine(item, f"interrupted {item.attempts - 1} times (the process died)")
            return
        try:
            await self.handle(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if transient(exc):
                raise  # the store's trouble, not the event's: handed back, not counted
            reason = f"{type(exc).__name__}: {exc}"
            log.exception("event %s failed (attempt %d): %s", item.event.id, item.attempts, reason)
            if item.attempts >= self.max_attempts:
                await self.quarantine(item, reason)
            else:
                delay = backoff.delay(item.attempts - 1, base=0.5, cap=60.0)
                await self.store.inbox.retry_later(item.seq, error=reason, delay=delay)
