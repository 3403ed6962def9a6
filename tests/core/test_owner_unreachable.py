"""The owner's channel is set up but cannot reach the owner (no owner id yet, exactly where
a new user is): the channel is skipped with one warning, and the question reaches the
owner once, through the next channel (the console log at the end of the line); the
outbox stays small."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.channels.contract import Capabilities
from bot.config import load
from bot.delivery import Delivery
from bot.errors import PermanentError
from tests.core.conftest import RecordingChannel, make_home
from tests.core.helpers import mail
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456:unreachable-telegram-token"
SLACK_TOKEN = "xoxb-1-1-unreachableSlack"
SIGNING = "0123456789abcdef0123456789abcdef"


async def settle(deputy: Deputy, seconds: float, *, drain: bool = True) -> None:
    """Let the daemon run: a loop would write thousands of rows in this time."""
    await asyncio.sleep(seconds)
    if drain:
        await deputy.drain(timeout=10)


async def outbox_rows(deputy: Deputy) -> list[tuple[str, str, str]]:
    rows = await deputy.store.db.fetchall("SELECT key, connector, state FROM outbox ORDER BY seq")
    return [(r["key"], r["connector"], r["state"]) for r in rows]


def prefer(tmp_path: Path, channel: str) -> None:
    owner_md = tmp_path / "rules" / "owner.md"
    owner_md.write_text(
        owner_md.read_text()
        .replace('preferred_channel = "cli"', f'preferred_channel = "{channel}"')
        .replace('quiet_hours = ["22:00", "07:00"]', ""),
        encoding="utf-8",
    )


@pytest.fixture
async def tg(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    monkeypatch.setenv("DEPUTY_TELEGRAM_TOKEN", TOKEN)
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def slack(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSlack]:
    monkeypatch.setenv("DEPUTY_SLACK_BOT_TOKEN", SLACK_TOKEN)
    monkeypatch.setenv("DEPUTY_SLACK_SIGNING_SECRET", SIGNING)
    fake = FakeSlack(token=SLACK_TOKEN, team_id="T0TEAM")
    await fake.start()
    yield fake
    await fake.stop()


async def ask_a_question(channel: RecordingChannel) -> None:
    """A stranger's mail no rule covers becomes a question for the owner."""
    await channel.emit(
        mail(
            sender="sam@unknown.example",
            subject="A question nobody's rules cover",
            text="Could you tell me whether the blue widget comes in green?",
        )
    )


@pytest.mark.parametrize("which", ["telegram", "slack"])
async def test_no_owner_id_yet_does_not_loop(
    tmp_path: Path,
    tg: FakeTelegram,
    slack: FakeSlack,
    which: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    extra = (
        f'[channels.telegram]\ntype = "telegram"\nbase_url = "{tg.base_url}"\npoll_timeout = 1\n'
        if which == "telegram"
        else (
            '[channels.slack]\ntype = "slack"\nmode = "http"\nhttp_listen = "127.0.0.1:0"\n'
            f'api_base_url = "{slack.base_url}"\n'
        )
    )
    cfg = make_home(tmp_path, extra_config=extra)
    prefer(tmp_path, which)
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    caplog.set_level(logging.WARNING, logger="deputy")
    await deputy.start()
    try:
        await ask_a_question(channel)
        await ask_a_question(channel)
        await settle(deputy, 1.5)
        rows = await outbox_rows(deputy)
    finally:
        await deputy.stop()
    # The channel without an owner id is skipped (and said so once): the question goes
    # once to the console log, nothing goes through the channel that cannot reach the owner.
    assert not [r for r in rows if r[1] == which], rows
    assert rows and all(r[1:] == ("cli", "sent") for r in rows), rows
    assert len(rows) <= 2, rows
    assert max(len(key) for key, _, _ in rows) < 120
    log_text = (tmp_path / "data" / "owner.log").read_text(encoding="utf-8")
    assert "blue widget" in log_text
    warned = [r for r in caplog.records if f"no identities.{which}" in r.getMessage()]
    assert len(warned) == 1, [r.getMessage() for r in caplog.records]


async def test_a_failing_fallback_is_logged_not_noticed(tmp_path: Path, tg: FakeTelegram) -> None:
    """Even with every owner channel failing, the chain ends: the re-routed notice fails
    too and is only logged."""
    cfg = make_home(
        tmp_path,
        extra_config=(
            f'[channels.telegram]\ntype = "telegram"\nbase_url = "{tg.base_url}"\npoll_timeout = 1\n'
        ),
    )
    prefer(tmp_path, "telegram")
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    try:
        # The console log cannot be written (its path is a directory).
        (tmp_path / "data" / "owner.log").mkdir(parents=True)
        await ask_a_question(channel)
        await settle(deputy, 1.5, drain=False)
        rows = await outbox_rows(deputy)
    finally:
        await deputy.stop()
    # Telegram cannot reach the owner (no owner id), so the question goes to the console
    # log, which fails and waits to be retried (a disk can fill and empty); nothing loops.
    assert len(rows) == 1, rows
    assert rows[0][1:] == ("cli", "pending"), rows


class RefusingChat(RecordingChannel):
    """A chat channel that reaches the owner on paper but refuses every prompt (a
    revoked bot, a chat the owner left): the far edge, failing for real."""

    capabilities = Capabilities(prompts=True, buttons=True, owner_key="chat")

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        raise PermanentError("chat not found")


async def test_a_refused_prompt_is_rerouted_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg = make_home(tmp_path)
    owner_md = tmp_path / "rules" / "owner.md"
    owner_md.write_text(
        owner_md.read_text()
        .replace('preferred_channel = "cli"', 'preferred_channel = "chat"\nidentities.chat = "42"')
        .replace('quiet_hours = ["22:00", "07:00"]', ""),
        encoding="utf-8",
    )
    mail_channel, chat = RecordingChannel(), RefusingChat("chat")
    deputy = Deputy(
        load(cfg), extra_connectors={"local": ("local", mail_channel), "chat": ("fakechat", chat)}
    )
    caplog.set_level(logging.ERROR, logger="deputy")
    await deputy.start()
    try:
        await ask_a_question(mail_channel)
        await settle(deputy, 1.5)
        rows = await outbox_rows(deputy)
    finally:
        await deputy.stop()
    # The prompt failed once; the same question went once to the console log, with the
    # reason; the failed prompt's notice did not go back to the chat; nothing else.
    assert [r[1:] for r in rows] == [("chat", "failed"), ("cli", "sent")], rows
    assert rows[1][0].startswith("fallback:") and len(rows[1][0]) < 40
    log_text = (tmp_path / "data" / "owner.log").read_text(encoding="utf-8")
    assert "blue widget" in log_text and "could not reach you through chat: chat not found" in log_text
    assert any("chat not found" in r.getMessage() for r in caplog.records)
