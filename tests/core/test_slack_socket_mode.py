"""Slack's default mode, Socket Mode, end to end: slack-bolt's own Socket Mode client
against a loopback server that speaks apps.connections.open and the websocket protocol.
Envelopes are acknowledged only after the event is committed; the owner's button
answers the question; a stranger's message gets the rule's reply in its DM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import make_home
from tests.fakes.slack_api import EventsClient, FakeSlack

BOT, APP = "xoxb-1-2-socketCanary", "xapp-1-A0APP-socketCanary"
OWNER, TEAM, STRANGER = "U0OWNER", "T0TEAM", "U0SAM"


@pytest.fixture
async def slack(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSlack]:
    monkeypatch.setenv("DEPUTY_SLACK_BOT_TOKEN", BOT)
    monkeypatch.setenv("DEPUTY_SLACK_APP_TOKEN", APP)
    fake = FakeSlack(token=BOT, team_id=TEAM, app_token=APP)
    fake.channels.add("D0SAM")
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def deputy(tmp_path: Path, slack: FakeSlack) -> AsyncIterator[Deputy]:
    cfg = make_home(
        tmp_path, extra_config=f'[channels.slack]\ntype = "slack"\napi_base_url = "{slack.base_url}"\n'
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
    daemon = Deputy(load(cfg))  # mode is not set: Socket Mode is the default
    await daemon.start()
    yield daemon
    await daemon.stop()


async def until(predicate, limit: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def test_socket_mode_intake_ack_and_button(deputy: Deputy, slack: FakeSlack) -> None:
    await until(lambda: slack.socket_connected)
    shapes = EventsClient(url="unused", signing_secret="unused", team_id=TEAM)
    faq = shapes.message(user=STRANGER, text="What are your opening hours?", channel="D0SAM")
    envelope = await slack.socket_push("events_api", faq)
    await until(lambda: envelope in slack.socket_acks)
    row = await deputy.store.db.fetchone("SELECT state FROM inbox WHERE id LIKE 'slack:%'")
    assert row is not None  # committed by the time Slack saw the ack
    await until(lambda: any("Monday to Friday" in m["text"] for m in slack.posted("D0SAM")))

    question = shapes.message(user=STRANGER, text="Could you send the contract draft?", channel="D0SAM")
    await slack.socket_push("events_api", question)
    await until(lambda: any(m.get("blocks") for m in slack.posted("D" + OWNER[1:])))
    prompt = next(m for m in slack.posted("D" + OWNER[1:]) if m.get("blocks"))
    value = next(e["value"] for b in prompt["blocks"] for e in (b.get("elements") or []) if e.get("value"))
    press = shapes.button(
        user=OWNER, team=TEAM, channel=prompt["channel"], message_ts=prompt["ts"], value=value
    )
    pressed = await slack.socket_push("interactive", press)
    await until(lambda: pressed in slack.socket_acks)
    await until(lambda: bool(slack.calls_to("chat.update")))
    await deputy.drain()
    assert await deputy.store.escalations.open() == []
