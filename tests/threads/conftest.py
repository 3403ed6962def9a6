"""Daemons for the thread-safety scenarios: rules only, and with a scripted model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import RecordingChannel, daemon, make_home  # noqa: F401  (fixture)
from tests.fakes.openai_api import FakeOpenAI, hijacked


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI(handler=hijacked())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def llm_daemon(
    tmp_path: Path, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Deputy, RecordingChannel]]:
    monkeypatch.setenv("DEPUTY_LLM_API_KEY", "sk-test-canary-0123456789")
    cfg = make_home(
        tmp_path,
        extra_config=f'[llm]\nenabled = true\nbase_url = "{fake.base_url}"\nmodel = "scripted"\n'
        "max_retries = 0\ntimeout_seconds = 10\n",
    )
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    yield deputy, channel
    await deputy.stop()
