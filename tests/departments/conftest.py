"""The shipped example organisation (examples/organisation) in a temporary home, run by
the real daemon in this process with a recording channel at the far edge."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import Deputy
from bot.config import load
from bot.events import Event
from tests.core.conftest import RecordingChannel

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "organisation"


def org_home(tmp_path: Path, *, extra: str = "", replace: dict[str, str] | None = None) -> Path:
    home = tmp_path / "org"
    shutil.copytree(EXAMPLE, home, ignore=shutil.ignore_patterns("data"))
    cfg = home / "config.toml"
    text = cfg.read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    cfg.write_text(text + extra, encoding="utf-8")
    return cfg


class Org:
    """The daemon and what to look at from outside: the store's rows."""

    def __init__(self, deputy: Deputy, channel: RecordingChannel) -> None:
        self.deputy = deputy
        self.channel = channel

    async def settle(self) -> None:
        """Until hand-offs and their results stop making new work."""
        for _ in range(10):
            await self.deputy.drain()
            await asyncio.sleep(0.05)
            if not await self.deputy.store.inbox.has_pending():
                return

    async def events(self) -> list[Event]:
        rows = await self.deputy.store.db.fetchall("SELECT body FROM inbox ORDER BY seq")
        return [Event.from_json(r["body"]) for r in rows]

    async def audit(self) -> list[dict[str, Any]]:
        rows = await self.deputy.store.db.fetchall(
            "SELECT event_id, rule, outcome, actions FROM audit ORDER BY id"
        )
        return [{**dict(r), "actions": json.loads(r["actions"])} for r in rows]

    async def answer(self, escalation_id: int, text: str) -> None:
        await self.deputy.emit(
            Event(
                id=f"cli:answer:{escalation_id}:{text}",
                channel="cli",
                kind="owner_answer",
                thread=f"cli-{escalation_id}",
                sender="owner",
                sender_verified_owner=True,
                received_at=datetime.now(UTC),
                text=text,
                refs={"escalation_id": str(escalation_id)},
            )
        )


@pytest.fixture
async def org(tmp_path: Path) -> AsyncIterator[Org]:
    channel = RecordingChannel()
    deputy = Deputy(load(org_home(tmp_path)), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    try:
        yield Org(deputy, channel)
    finally:
        await asyncio.wait_for(deputy.stop(), 30)
