"""Small builders for core tests (no channel involved)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from bot.events import Event

_counter = itertools.count()


def mail(
    *,
    sender: str = "bob@client.com",
    sender_name: str = "",
    subject: str = "Hello",
    text: str = "Hi there",
    to: tuple[str, ...] = ("deputy@localhost",),
    headers: dict[str, str] | None = None,
    thread: str | None = None,
    event_id: str | None = None,
    channel: str = "local",
    kind: str = "message",
    refs: dict[str, str] | None = None,
) -> Event:
    n = next(_counter)
    mid = f"<m{n}@client.com>"
    return Event(
        id=event_id or f"{channel}:{mid}",
        channel=channel,
        kind=kind,
        thread=thread or mid,
        sender=sender,
        sender_name=sender_name,
        received_at=datetime.now(UTC),
        recipients=to,
        subject=subject,
        text=text,
        headers=headers or {},
        refs={"channel_type": "local", "message_id": mid, **(refs or {})},
    )
