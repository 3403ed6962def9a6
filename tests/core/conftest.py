"""A daemon with a recording channel: the core end to end, without a network."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.channels.contract import Emit
from bot.config import load
from bot.delivery import Delivery
from bot.errors import TransientError

ROOT = Path(__file__).resolve().parents[2]


class RecordingChannel:
    """A connector at the far edge: it records deliveries and can be told to fail."""

    def __init__(self, name: str = "local") -> None:
        self.name = name
        self.delivered: list[Delivery] = []
        self.fail_next = 0

    async def start(self, emit: Emit) -> None:
        self.emit = emit

    async def stop(self) -> None:
        return None

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        if self.fail_next:
            self.fail_next -= 1
            raise TransientError("simulated outage", retry_after=0.01)
        self.delivered.append(delivery)
        return {"message_id": str(delivery.payload.get("message_id", ""))}

    def sends(self) -> list[Delivery]:
        return [d for d in self.delivered if d.op == "send"]


def make_home(tmp_path: Path, *, extra_config: str = "", workers: int = 4) -> Path:
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[deputy]\ndata_dir = "data"\nrules_dir = "rules"\naddresses = ["deputy@localhost"]\n'
        f"workers = {workers}\n[digest]\nenabled = false\n" + extra_config,
        encoding="utf-8",
    )
    return cfg


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[tuple[Deputy, RecordingChannel]]:
    cfg = make_home(tmp_path)
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    try:
        yield deputy, channel
    finally:
        await asyncio.wait_for(deputy.stop(), 30)
