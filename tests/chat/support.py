"""Test doubles from the core's side: a state store, a collecting emit, a runtime.

These stand in for the core (inbox, state table), never for our own clients: PTB and
slack-bolt run unmodified against the loopback fakes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot.channels.contract import ConnectorRuntime
from bot.events import Event
from bot.owner import OwnerProfile


class MemoryState:
    """The per-connector key/value store; survives a connector restart in a test."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.values.get(key)

    async def set(self, key: str, value: str) -> None:
        self.values[key] = value


class Inbox:
    """A collecting emit with the inbox's semantics: INSERT OR IGNORE by event id.

    ``fail_next`` makes the next emits raise, as a full disk or a locked database
    would; ``emitted`` counts every call, ``events`` only the new ones.
    """

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.calls = 0
        self.fail_next = 0
        self.gate: asyncio.Event | None = None
        self._changed = asyncio.Event()

    async def __call__(self, event: Event) -> bool:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("inbox unavailable")
        new = all(e.id != event.id for e in self.events)
        if new:
            self.events.append(event)
        self._changed.set()
        return new

    async def wait_for(self, count: int, *, bound: float = 10.0) -> list[Event]:
        async def until() -> None:
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), bound)
        return self.events


async def eventually(check: Callable[[], bool], *, bound: float = 10.0) -> None:
    """Wait until ``check()`` holds (a bound for hangs, not a timing assertion)."""

    async def until() -> None:
        while not check():  # noqa: ASYNC110 - polls state that has no event to wait on
            await asyncio.sleep(0.01)

    await asyncio.wait_for(until(), bound)


def make_runtime(
    *,
    name: str,
    owner: OwnerProfile,
    state: MemoryState,
    data_dir: Path,
    tasks: list[asyncio.Task[Any]],
    auth_failures: list[str] | None = None,
) -> ConnectorRuntime:
    def spawn(coro: Coroutine[Any, Any, Any], task_name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=task_name)
        tasks.append(task)
        return task

    async def on_auth_failed(message: str) -> None:
        if auth_failures is not None:
            auth_failures.append(message)

    return ConnectorRuntime(
        name=name,
        data_dir=data_dir,
        owner=owner,
        state=state,
        own_addresses=(),
        spawn=spawn,
        on_auth_failed=on_auth_failed,
    )
