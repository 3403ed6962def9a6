"""A daemon with a recording channel (the pattern of tests/core/conftest.py), plus what
the scheduling tests need: restartable homes and owner answers."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.channels.contract import Emit
from bot.config import load
from bot.delivery import Delivery
from bot.events import Event

ROOT = Path(__file__).resolve().parents[2]


class RecordingChannel:
    def __init__(self, name: str = "local") -> None:
        self.name = name
        self.delivered: list[Delivery] = []

    async def start(self, emit: Emit) -> None:
        self.emit = emit

    async def stop(self) -> None:
        return None

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        self.delivered.append(delivery)
        return {"message_id": str(delivery.payload.get("message_id", ""))}

    def sends(self) -> list[Delivery]:
        return [d for d in self.delivered if d.op == "send"]


def make_home(tmp_path: Path, *, extra_config: str = "") -> Path:
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[deputy]\ndata_dir = "data"\nrules_dir = "rules"\naddresses = ["deputy@localhost"]\n'
        "workers = 4\n[digest]\nenabled = false\n" + extra_config,
        encoding="utf-8",
    )
    return cfg


@dataclass
class Home:
    cfg: Path
    deputy: Deputy | None = None
    channel: RecordingChannel | None = None

    async def start(self) -> tuple[Deputy, RecordingChannel]:
        channel = RecordingChannel()
        deputy = Deputy(load(self.cfg), extra_connectors={"local": ("local", channel)})
        await deputy.start()
        self.deputy, self.channel = deputy, channel
        return deputy, channel

    async def stop(self) -> None:
        if self.deputy is not None:
            await asyncio.wait_for(self.deputy.stop(), 30)
            self.deputy = None


@pytest.fixture
async def home(tmp_path: Path) -> AsyncIterator[Home]:
    h = Home(make_home(tmp_path))
    try:
        yield h
    finally:
        await h.stop()


def mail(sender: str, subject: str, *, n: int, text: str = "Hi there") -> Event:
    mid = f"<sched{n}@{sender.split('@')[1]}>"
    return Event(
        id=f"local:{mid}",
        channel="local",
        kind="message",
        thread=mid,
        sender=sender,
        received_at=datetime.now(UTC),
        recipients=("deputy@localhost",),
        subject=subject,
        text=text,
        refs={"channel_type": "local", "message_id": mid},
    )


def owner_answer(escalation_id: int, text: str, *, n: int) -> Event:
    return Event(
        id=f"cli:answer:{escalation_id}:{n}",
        channel="cli",
        kind="owner_answer",
        thread=f"cli-{escalation_id}",
        sender="owner",
        sender_verified_owner=True,
        received_at=datetime.now(UTC),
        text=text,
        refs={"escalation_id": str(escalation_id)},
    )
