"""Fixtures for the chat connector tests: loopback fakes plus a core-side runtime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.owner import OwnerProfile
from connectors import slack, telegram
from connectors.slack import SlackConnector
from connectors.telegram import TelegramConnector
from tests.chat.support import Inbox, MemoryState, make_runtime
from tests.fakes.slack_api import EventsClient, FakeSlack
from tests.fakes.telegram_api import FakeTelegram

TG_TOKEN = "7000001:AAH-canary-TokenValue_ZZ9plural"
OWNER_TG = 424242
OWNER_SLACK = "U0OWNER"
TEAM = "T0TEAM"


@pytest.fixture
def owner() -> OwnerProfile:
    return OwnerProfile(identities={"telegram": str(OWNER_TG), "slack": OWNER_SLACK, "slack_team": TEAM})


@pytest.fixture
async def fake_tg(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    monkeypatch.setenv("DEPUTY_TELEGRAM_TOKEN", TG_TOKEN)
    fake = FakeTelegram(token=TG_TOKEN)
    fake.known_chats.add(OWNER_TG)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def tg_state() -> MemoryState:
    return MemoryState()


MakeTelegram = Callable[..., Awaitable[TelegramConnector]]


@pytest.fixture
async def make_telegram(
    fake_tg: FakeTelegram, owner: OwnerProfile, tg_state: MemoryState, tmp_path: Path
) -> AsyncIterator[MakeTelegram]:
    """Builds (and at teardown stops) connectors sharing one state store."""
    made: list[TelegramConnector] = []
    tasks: list[asyncio.Task[Any]] = []

    async def build(*, state: MemoryState | None = None, **overrides: Any) -> TelegramConnector:
        settings = telegram.SETTINGS.model_validate(
            {
                "base_url": fake_tg.base_url,
                "poll_timeout": 1,
                "backoff_initial": 0.02,
                "backoff_max": 0.2,
                **overrides,
            }
        )
        runtime = make_runtime(
            name="telegram",
            owner=owner,
            state=state or tg_state,
            data_dir=tmp_path,
            tasks=tasks,
        )
        connector = telegram.create(name="telegram", settings=settings, runtime=runtime)
        assert isinstance(connector, TelegramConnector)
        made.append(connector)
        return connector

    yield build
    for connector in made:
        await connector.stop()
    for task in tasks:
        if not task.done():
            task.cancel()


SLACK_BOT_TOKEN = "xoxb-1111-2222-canarySlackTokenValue"
SLACK_SIGNING_SECRET = "f00dfacecafe0123456789abcdef0000"


@pytest.fixture
async def fake_slack(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSlack]:
    monkeypatch.setenv("DEPUTY_SLACK_BOT_TOKEN", SLACK_BOT_TOKEN)
    monkeypatch.setenv("DEPUTY_SLACK_SIGNING_SECRET", SLACK_SIGNING_SECRET)
    fake = FakeSlack(token=SLACK_BOT_TOKEN, team_id=TEAM)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def slack_state() -> MemoryState:
    return MemoryState()


@pytest.fixture
async def slack_app(
    fake_slack: FakeSlack,
    owner: OwnerProfile,
    slack_state: MemoryState,
    inbox: Inbox,
    tmp_path: Path,
) -> AsyncIterator[tuple[SlackConnector, EventsClient]]:
    """A started Slack connector in HTTP mode and a client that plays Slack's side."""
    tasks: list[asyncio.Task[Any]] = []
    settings = slack.SETTINGS.model_validate(
        {"mode": "http", "http_listen": "127.0.0.1:0", "api_base_url": fake_slack.base_url}
    )
    runtime = make_runtime(name="slack", owner=owner, state=slack_state, data_dir=tmp_path, tasks=tasks)
    connector = slack.create(name="slack", settings=settings, runtime=runtime)
    assert isinstance(connector, SlackConnector)
    await connector.start(inbox)
    url = f"http://127.0.0.1:{connector.http_port}/slack/events"
    yield connector, EventsClient(url=url, signing_secret=SLACK_SIGNING_SECRET, team_id=TEAM)
    await connector.stop()
    for task in tasks:
        if not task.done():
            task.cancel()
