"""Loopback fake servers (Telegram Bot API, Slack Web API) for the real daemon.

The daemon runs as a subprocess; the fakes run in this process, each on its own event
loop in a background thread, so the synchronous e2e tests can drive and inspect them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Threaded(Generic[T]):
    """Runs an async fake (anything with ``start``/``stop``) on a private loop."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

        async def make() -> T:
            fake = build()  # built on its loop: its asyncio primitives belong there
            await fake.start()  # type: ignore[attr-defined]
            return fake

        self.fake: T = self.run(make())

    def run(self, coro: Coroutine[Any, Any, R], timeout: float = 30.0) -> R:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def close(self) -> None:
        try:
            self.run(self.fake.stop())  # type: ignore[attr-defined]
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
