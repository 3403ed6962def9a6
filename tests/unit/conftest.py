"""Real SQLite in tmp_path and recording connectors at the far edge."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.channels.contract import Emit
from bot.delivery import Delivery
from bot.errors import DeputyError
from bot.events import Event
from bot.store import Store


class RecordingChannel:
    """A connector at the far edge: records deliveries; ``fail_with`` is raised instead
    for the next ``fail_next`` calls."""

    def __init__(self, name: str = "local") -> None:
        self.name = name
        self.delivered: list[Delivery] = []
        self.fail_next = 0
        self.fail_with: Exception = DeputyError("unset")
        self.calls = 0

    async def start(self, emit: Emit) -> None:
        self.emit = emit

    async def stop(self) -> None:
        return None

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        self.calls += 1
        if self.fail_next:
            self.fail_next -= 1
            raise self.fail_with
        self.delivered.append(delivery)
        return {"message_id": f"<{delivery.key}@test>"}


def event(n: int, *, thread: str = "t1", channel: str = "local", **kw: Any) -> Event:
    return Event(
        id=f"{channel}:{thread}:{n}",
        channel=channel,
        kind=kw.pop("kind", "message"),
        thread=thread,
        sender=kw.pop("sender", "someone@example.com"),
        received_at=datetime(2026, 1, 1, tzinfo=UTC),
        text=kw.pop("text", f"message {n}"),
        **kw,
    )


async def rows(store: Store, sql: str, *params: object) -> list[dict[str, Any]]:
    def q(conn: sqlite3.Connection) -> list[dict[str, Any]]:
        return [dict(r) for r in conn.execute(sql, params).fetchall()]

    return await store.db.read(q)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = Store(tmp_path / "deputy.db")
    await s.open()
    try:
        yield s
    finally:
        await s.close()
