"""Only the owner is the owner, on Telegram and Slack (issue 4, authority).

The daemon runs in-process with both chat connectors against loopback fakes (Telegram
Bot API polled by the connector; Slack Events API posted to its HTTP server with signed
requests). Strangers typing the owner's words, the owner speaking in a group, replayed
and forged buttons, bad signatures and stale timestamps must have no privileged effect:
no escalation closed, no change to the pause state, no message to anyone that a rule
or an escalation would not have sent anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import make_home
from tests.fakes.slack_api import EventsClient, FakeSlack
from tests.fakes.telegram_api import FakeTelegram

TG_TOKEN = "123456:authority-telegram-token"
SLACK_TOKEN = "xoxb-1-2-authority-slack-token"
SIGNING = "authority-signing-secret-0123456789"
OWNER = 4242
STRANGER = 777
GROUP = -100555
OWNER_SLACK, TEAM = "U0OWNER", "T0TEAM"


@pytest.fixture
async def fakes(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[FakeTelegram, FakeSlack]]:
    monkeypatch.setenv("DEPUTY_TELEGRAM_TOKEN", TG_TOKEN)
    monkeypatch.setenv("DEPUTY_SLACK_BOT_TOKEN", SLACK_TOKEN)
    monkeypatch.setenv("DEPUTY_SLACK_SIGNING_SECRET", SIGNING)
    tg, slack = FakeTelegram(token=TG_TOKEN), FakeSlack(token=SLACK_TOKEN, team_id=TEAM)
    tg.known_chats.update({OWNER, STRANGER, GROUP})
    await tg.start()
    await slack.start()
    yield tg, slack
    await tg.stop()
    await slack.stop()


@pytest.fixture
async def deputy(tmp_path: Path, fakes: tuple[FakeTelegram, FakeSlack]) -> AsyncIterator[Deputy]:
    tg, slack = fakes
    cfg = make_home(
        tmp_path,
        extra_config=(
            f'[channels.telegram]\ntype = "telegram"\nbase_url = "{tg.base_url}"\npoll_timeout = 1\n'
            f'[channels.slack]\ntype = "slack"\nmode = "http"\nhttp_listen = "127.0.0.1:0"\n'
            f'api_base_url = "{slack.base_url}"\n'
        ),
    )
    owner_md = tmp_path / "rules" / "owner.md"
    owner_md.write_text(
        owner_md.read_text()
        .replace('preferred_channel = "cli"', 'preferred_channel = "telegram"')
        .replace("# identities.telegram = 123456789", f"identities.telegram = {OWNER}")
        .replace('# identities.slack = "U0123ABC"', f'identities.slack = "{OWNER_SLACK}"')
        .replace('# identities.slack_team = "T0123ABC"', f'identities.slack_team = "{TEAM}"')
        .replace('quiet_hours = ["22:00", "07:00"]', ""),  # CI may run at night
        encoding="utf-8",
    )
    daemon = Deputy(load(cfg))
    await daemon.start()
    yield daemon
    await daemon.stop()


async def wait_for(predicate: Callable[[], object], limit: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


async def settled(deputy: Deputy, count: int) -> None:
    """Wait until ``count`` events are in the inbox and everything is processed and sent."""

    async def busy() -> bool:
        n = (await deputy.store.db.fetchone("SELECT COUNT(*) FROM inbox"))[0]
        return n < count or await deputy.store.inbox.has_pending() or await deputy.store.outbox.has_pending()

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while await busy():
        assert loop.time() < deadline, "daemon did not settle"
        await asyncio.sleep(0.05)


def texts_to(tg: FakeTelegram, chat: int) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in tg.calls_to("sendMessage")
        if str(c.params.get("chat_id")) == str(chat) and c.status == 200
    ]


async def paused(deputy: Deputy) -> str | None:
    return await deputy.store.kv.get("paused")


async def outcomes(deputy: Deputy) -> list[str]:
    rows = await deputy.store.db.fetchall("SELECT outcome FROM audit ORDER BY id")
    return [r[0] for r in rows]


async def open_question(deputy: Deputy, tg: FakeTelegram) -> tuple[int, str, int]:
    """A stranger's unmatched message becomes a prompt with buttons to the owner."""
    before = len(await deputy.store.escalations.open())
    await tg.private_message(tg.user(STRANGER, "Sam"), f"Can you help me with order #{time.time_ns()}?")
    await wait_for(
        lambda: any(
            "reply_markup" in c.params
            for c in tg.calls_to("sendMessage")
            if str(c.params.get("chat_id")) == str(OWNER)
        )
    )
    await wait_for(lambda: len(tg.calls_to("sendMessage")) > 0)
    for _ in range(200):
        escs = await deputy.store.escalations.open()
        if len(escs) > before:
            break
        await asyncio.sleep(0.05)
    esc = (await deputy.store.escalations.open())[-1]
    prompt_id = max(m for (chat, m) in tg.messages if chat == OWNER)
    return esc.id, esc.nonce, prompt_id


async def test_telegram_strangers_groups_forged_and_replayed_buttons(
    deputy: Deputy, fakes: tuple[FakeTelegram, FakeSlack]
) -> None:
    tg, _ = fakes
    esc_id, nonce, prompt_id = await open_question(deputy, tg)
    await settled(deputy, 1)
    paused_before = await paused(deputy)
    stranger, owner = tg.user(STRANGER, "Sam"), tg.user(OWNER, "Alex")

    # A stranger types the owner's words, also as a reply to "the prompt" id.
    for text in ("approve", "1", "pause", "/pause", f"#{esc_id} 1", f"esc:{esc_id}:{nonce}:0"):
        await tg.private_message(stranger, text)
    await tg.private_message(stranger, "1", reply_to=prompt_id)
    # The owner speaks in a group: a group is not the owner's private chat.
    for text in ("pause", f"#{esc_id} 1", "approve"):
        await tg.group_message(owner, GROUP, text)
    await tg.group_message(owner, GROUP, "1", reply_to=prompt_id)
    # Forged buttons: a stranger pressing the owner's prompt; the owner with a wrong
    # nonce; a stranger in their own chat with the right data.
    await tg.press(stranger, OWNER, prompt_id, f"esc:{esc_id}:{nonce}:0")
    await tg.press(owner, OWNER, prompt_id, f"esc:{esc_id}:WRONGnonce:0")
    await tg.press(stranger, STRANGER, 1, f"esc:{esc_id}:{nonce}:0")
    await settled(deputy, 1 + 7 + 4 + 1)  # forged stranger presses never reach the inbox

    esc = await deputy.store.escalations.get(esc_id)
    assert esc is not None and esc.state == "open"
    assert await paused(deputy) == paused_before
    assert texts_to(tg, STRANGER) == [] and texts_to(tg, GROUP) == []
    assert "answered" not in await outcomes(deputy)
    # What the owner got: prompts (questions about those messages), never a command's
    # confirmation ("Paused: ...").
    assert not any(t.startswith(("Paused", "Resumed")) for t in texts_to(tg, OWNER))

    # The real press answers; the same press again (a replay) changes nothing.
    answered = len(tg.calls_to("editMessageText"))
    await tg.press(owner, OWNER, prompt_id, f"esc:{esc_id}:{nonce}:0")
    await wait_for(lambda: len(tg.calls_to("editMessageText")) > answered)
    esc = await deputy.store.escalations.get(esc_id)
    assert esc is not None and esc.state == "answered"
    n = (await deputy.store.db.fetchone("SELECT COUNT(*) FROM inbox"))[0]
    await tg.press(owner, OWNER, prompt_id, f"esc:{esc_id}:{nonce}:0")
    await settled(deputy, n + 1)
    assert (await outcomes(deputy)).count("answered") == 1
    assert texts_to(tg, STRANGER) == []
    assert await paused(deputy) == paused_before


async def test_telegram_owner_commands_are_answered_in_the_private_chat(
    deputy: Deputy, fakes: tuple[FakeTelegram, FakeSlack]
) -> None:
    tg, _ = fakes
    owner = tg.user(OWNER, "Alex")
    esc_id, _, _ = await open_question(deputy, tg)
    seen = len(texts_to(tg, OWNER))

    await tg.private_message(owner, "pending")
    await wait_for(lambda: len(texts_to(tg, OWNER)) > seen)
    assert texts_to(tg, OWNER)[-1].startswith("Waiting for you") and f"#{esc_id}" in texts_to(tg, OWNER)[-1]

    await tg.private_message(owner, "pause")
    await wait_for(lambda: len(texts_to(tg, OWNER)) > seen + 1)
    assert texts_to(tg, OWNER)[-1].startswith("Paused")
    assert await paused(deputy) == "1"

    await tg.private_message(owner, "/resume")
    await wait_for(lambda: len(texts_to(tg, OWNER)) > seen + 2)
    assert texts_to(tg, OWNER)[-1].startswith("Resumed")
    assert await paused(deputy) == "0"
    assert texts_to(tg, STRANGER) == []


async def test_slack_signatures_strangers_channels_and_buttons(
    deputy: Deputy, fakes: tuple[FakeTelegram, FakeSlack]
) -> None:
    tg, slack = fakes
    esc_id, nonce, _ = await open_question(deputy, tg)
    await settled(deputy, 1)
    port = deputy.connectors["slack"].http_port  # type: ignore[attr-defined]
    events = EventsClient(url=f"http://127.0.0.1:{port}/slack/events", signing_secret=SIGNING, team_id=TEAM)
    good = f"esc:{esc_id}:{nonce}:0"

    # Bad signature and stale timestamp: refused before anything is read.
    owner_pause = events.message(user=OWNER_SLACK, text="pause")
    assert await events.post(owner_pause, secret="not-the-secret") == 401
    assert await events.post(owner_pause, timestamp=int(time.time()) - 600) == 401
    press = events.button(user=OWNER_SLACK, team=TEAM, channel="D0OWNER", message_ts="1.000001", value=good)
    assert await events.post(press, secret="not-the-secret") == 401
    assert await events.post(press, timestamp=int(time.time()) - 600) == 401

    # Signed, but not the owner: a stranger in a DM, the owner in a public channel,
    # the owner's user id from another team, a stranger pressing the owner's button.
    accepted = 0
    for payload in (
        events.message(user="U0STRANGER", text="pause", channel="D0STRANGER"),
        events.message(user="U0STRANGER", text=f"#{esc_id} 1", channel="D0STRANGER"),
        events.message(user=OWNER_SLACK, text="pause", channel="C0GENERAL", channel_type="channel"),
        events.message(user=OWNER_SLACK, text="pause", team="T0OTHER"),
    ):
        assert await events.post(payload) == 200
        accepted += 1
    for user, team, channel, value in (
        ("U0STRANGER", TEAM, "D0OWNER", good),
        (OWNER_SLACK, "T0OTHER", "D0OWNER", good),
        (OWNER_SLACK, TEAM, "C0GENERAL", good),
        (OWNER_SLACK, TEAM, "D0OWNER", f"esc:{esc_id}:WRONGnonce:0"),
    ):
        status = await events.post(
            events.button(user=user, team=team, channel=channel, message_ts="1.000001", value=value)
        )
        assert status == 200
    await settled(deputy, 1 + accepted + 1)  # only the wrong-nonce press is the owner's
    esc = await deputy.store.escalations.get(esc_id)
    assert esc is not None and esc.state == "open"
    assert await paused(deputy) in (None, "0")
    assert "answered" not in await outcomes(deputy)
    strangers = [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.params.get("channel") in ("D0STRANGER", "C0GENERAL")
    ]
    assert strangers == []

    # The owner's real press in the DM answers once; a replay does nothing more.
    await events.post(
        events.button(user=OWNER_SLACK, team=TEAM, channel="D0OWNER", message_ts="1.000001", value=good)
    )
    for _ in range(400):
        esc = await deputy.store.escalations.get(esc_id)
        if esc is not None and esc.state == "answered":
            break
        await asyncio.sleep(0.05)
    assert esc is not None and esc.state == "answered"
    await events.post(
        events.button(user=OWNER_SLACK, team=TEAM, channel="D0OWNER", message_ts="1.000001", value=good)
    )
    await asyncio.sleep(0.5)
    await settled(deputy, 0)
    assert (await outcomes(deputy)).count("answered") == 1
