"""An escalation asked in Slack survives a daemon restart and is answered by the
owner's Block Kit button afterwards; the prompt is updated to show the outcome."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import make_home
from tests.fakes.slack_api import EventsClient, FakeSlack

BOT_TOKEN = "xoxb-9-9-restartCanaryToken"
SIGNING = "0123456789abcdef0123456789abcdef"
OWNER, TEAM, STRANGER = "U0OWNER", "T0TEAM", "U0SAM"


@pytest.fixture
async def slack(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSlack]:
    monkeypatch.setenv("DEPUTY_SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("DEPUTY_SLACK_SIGNING_SECRET", SIGNING)
    fake = FakeSlack(token=BOT_TOKEN, team_id=TEAM)
    fake.channels.add("D0SAM")
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def config(tmp_path: Path, slack: FakeSlack) -> Path:
    cfg = make_home(
        tmp_path,
        extra_config=(
            f'[channels.slack]\ntype = "slack"\nmode = "http"\nhttp_listen = "127.0.0.1:0"\n'
            f'api_base_url = "{slack.base_url}"\n'
        ),
    )
    owner_md = tmp_path / "rules" / "owner.md"
    owner_md.write_text(
        owner_md.read_text()
        .replace('preferred_channel = "cli"', 'preferred_channel = "slack"')
        .replace('# identities.slack = "U0123ABC"', f'identities.slack = "{OWNER}"')
        .replace('# identities.slack_team = "T0123ABC"', f'identities.slack_team = "{TEAM}"')
        .replace('quiet_hours = ["22:00", "07:00"]', ""),
        encoding="utf-8",
    )
    return cfg


def events_client(deputy: Deputy) -> EventsClient:
    port = deputy.connectors["slack"].http_port  # type: ignore[attr-defined]
    return EventsClient(url=f"http://127.0.0.1:{port}/slack/events", signing_secret=SIGNING, team_id=TEAM)


def prompt_buttons(slack: FakeSlack) -> list[tuple[str, str, str]]:
    """(channel, ts, value) of every button Deputy posted."""
    found = []
    for (channel, ts), message in slack.messages.items():
        for block in message.get("blocks") or []:
            for element in block.get("elements") or []:
                value: Any = element.get("value")
                if value:
                    found.append((channel, ts, str(value)))
    return found


async def until(predicate, limit: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def test_button_after_restart_answers_and_updates_prompt(config: Path, slack: FakeSlack) -> None:
    first = Deputy(load(config))
    await first.start()
    client = events_client(first)
    assert (
        await client.post(
            client.message(user=STRANGER, text="Could you send me the contract draft?", channel="D0SAM")
        )
        == 200
    )
    await until(lambda: bool(prompt_buttons(slack)))
    await first.drain()
    await first.stop()

    second = Deputy(load(config))
    await second.start()
    try:
        client = events_client(second)
        channel, ts, value = prompt_buttons(slack)[0]
        # A stranger pressing the owner's button changes nothing.
        await client.post(
            client.button(user=STRANGER, team=TEAM, channel=channel, message_ts=ts, value=value)
        )
        await second.drain()
        assert len(await second.store.escalations.open()) == 1
        status = await client.post(
            client.button(user=OWNER, team=TEAM, channel=channel, message_ts=ts, value=value)
        )
        assert status == 200
        await until(lambda: bool(slack.calls_to("chat.update")))
        await second.drain()
        assert await second.store.escalations.open() == []
        # Pressing it again (a replay) does nothing more.
        await client.post(client.button(user=OWNER, team=TEAM, channel=channel, message_ts=ts, value=value))
        await second.drain()
        outcomes = [e.outcome for e in await second.store.audit.recent()]
        assert outcomes.count("answered") == 1
    finally:
        await second.stop()
