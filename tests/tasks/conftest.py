"""Tasks through the whole daemon with a recording mail channel (tests/sched pattern)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.events import Event
from tests.sched.conftest import Home, RecordingChannel, make_home

__all__ = ["Home", "RecordingChannel"]


@pytest.fixture
async def home(tmp_path: Path) -> AsyncIterator[Home]:
    h = Home(make_home(tmp_path))
    try:
        yield h
    finally:
        await h.stop()


def owner_says(text: str, *, n: int, channel: str = "cli", verified: bool = True) -> Event:
    return Event(
        id=f"{channel}:owner:{n}",
        channel=channel,
        kind="owner_message",
        thread=f"owner-{n}",
        sender="owner" if channel == "cli" else "alex@example.com",
        sender_verified_owner=verified,
        received_at=datetime.now(UTC),
        text=text,
    )


def reply_to(request_mid: str, *, sender: str, text: str, n: int) -> Event:
    """A counterpart's reply to our request: its thread is the request's Message-ID."""
    mid = f"<reply{n}@{sender.split('@')[1]}>"
    return Event(
        id=f"local:{mid}",
        channel="local",
        kind="message",
        thread=request_mid,
        sender=sender,
        received_at=datetime.now(UTC),
        recipients=("deputy@localhost",),
        subject="Re: Quote for 500 brochures",
        text=text,
        refs={
            "channel_type": "local",
            "message_id": mid,
            "in_reply_to": request_mid,
            "references": request_mid,
        },
    )


async def owner_notices(deputy: Deputy) -> list[str]:
    rows = await deputy.store.db.fetchall(
        "SELECT payload FROM outbox WHERE recipient='owner' OR thread LIKE 'owner:%' ORDER BY seq"
    )
    return [str(json.loads(r["payload"]).get("text", "")) for r in rows]


async def fire(deputy: Deputy, key: str) -> None:
    """Simulated days: make one timer due now and let the scheduler tick."""
    async with deputy.store.db.transaction() as tx:
        await tx.execute("UPDATE timers SET due_at=0 WHERE key=?", (key,))
    await deputy.scheduler.tick()
    await deputy.drain()
