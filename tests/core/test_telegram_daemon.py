"""The daemon with the Telegram connector against a loopback Bot API server: a question
reaches the owner with buttons, the owner's press resumes the paused work and the prompt
is edited; a stranger's press changes nothing; a rule answers in the stranger's chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import make_home
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456:canary-telegram-token-value"
OWNER = 4242
STRANGER = 777


@pytest.fixture
async def tg(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    monkeypatch.setenv("DEPUTY_TELEGRAM_TOKEN", TOKEN)
    fake = FakeTelegram(token=TOKEN)
    fake.known_chats.update({OWNER, STRANGER})
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def deputy(tmp_path: Path, tg: FakeTelegram) -> AsyncIterator[Deputy]:
    cfg = make_home(
        tmp_path,
        extra_config=(
            f'[channels.telegram]\ntype = "telegram"\nbase_url = "{tg.base_url}"\npoll_timeout = 1\n'
        ),
    )
    owner_md = tmp_path / "rules" / "owner.md"
    owner_md.write_text(
        owner_md.read_text()
        .replace('preferred_channel = "cli"', 'preferred_channel = "telegram"')
        .replace("# identities.telegram = 123456789", f"identities.telegram = {OWNER}")
        .replace('quiet_hours = ["22:00", "07:00"]', ""),
        encoding="utf-8",
    )
    daemon = Deputy(load(cfg))
    await daemon.start()
    yield daemon
    await daemon.stop()


async def wait_for(predicate, limit: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


def texts_to(tg: FakeTelegram, chat: int) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in tg.calls_to("sendMessage")
        if str(c.params.get("chat_id")) == str(chat)
    ]


async def test_question_with_buttons_answered_by_the_owner(deputy: Deputy, tg: FakeTelegram) -> None:
    stranger = tg.user(STRANGER, "Sam")
    await tg.private_message(stranger, "Can you help me with my order #55?")
    await wait_for(lambda: texts_to(tg, OWNER))
    prompt = next(c for c in tg.calls_to("sendMessage") if str(c.params.get("chat_id")) == str(OWNER))
    assert "reply_markup" in prompt.params and "order #55" in str(prompt.params["text"])
    esc = (await deputy.store.escalations.open())[0]
    # A stranger pressing (or forging) the owner's button: no effect.
    await tg.press(stranger, OWNER, 1, f"esc:{esc.id}:{esc.nonce}:0")
    await asyncio.sleep(1.0)
    assert (await deputy.store.escalations.open())[0].id == esc.id
    # The owner presses option 1 ("Do nothing"): answered, and the prompt is edited.
    message_id = max(m for (chat, m) in tg.messages if chat == OWNER)
    await tg.press(tg.user(OWNER, "Alex"), OWNER, message_id, f"esc:{esc.id}:{esc.nonce}:0")
    await wait_for(lambda: bool(tg.calls_to("editMessageText")))
    assert await deputy.store.escalations.open() == []
    assert texts_to(tg, STRANGER) == []


async def test_rule_replies_in_the_strangers_chat(deputy: Deputy, tg: FakeTelegram) -> None:
    await tg.private_message(tg.user(STRANGER, "Sam"), "What are your opening hours?")
    await wait_for(lambda: texts_to(tg, STRANGER))
    assert "Monday to Friday" in texts_to(tg, STRANGER)[0]
    assert await deputy.store.escalations.open() == []
