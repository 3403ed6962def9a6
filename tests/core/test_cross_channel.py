"""An escalation asked on Telegram, reminded by email, answered by an email reply: the
answer resumes the paused work on Telegram and the Telegram prompt shows the outcome."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import make_home
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456:cross-channel-token"
OWNER = 5151
STRANGER = 888
SECRET = "s3cretPlus"


@pytest.fixture
async def tg(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    monkeypatch.setenv("DEPUTY_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("DEPUTY_OWNER_PLUS", SECRET)
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
            "[escalation]\nreminders_hours = [0.0003]\n"
            f'[channels.telegram]\ntype = "telegram"\nbase_url = "{tg.base_url}"\npoll_timeout = 1\n'
            '[channels.local]\ntype = "local"\nlisten_port = 0\nowner_plus_secret_env = "DEPUTY_OWNER_PLUS"\n'
        ),
    )
    owner_md = tmp_path / "rules" / "owner.md"
    owner_md.write_text(
        owner_md.read_text()
        .replace('preferred_channel = "cli"', 'preferred_channel = "telegram"')
        .replace("fallback_channels = []", 'fallback_channels = ["local"]')
        .replace("# identities.telegram = 123456789", f"identities.telegram = {OWNER}")
        .replace('quiet_hours = ["22:00", "07:00"]', ""),
        encoding="utf-8",
    )
    daemon = Deputy(load(cfg))
    await daemon.start()
    yield daemon
    await daemon.stop()


async def until(predicate, limit: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


def outbox_mail(deputy: Deputy) -> list[EmailMessage]:
    folder = deputy.settings.data_dir / "outbox" / "new"
    return [BytesParser(policy=default).parsebytes(p.read_bytes()) for p in sorted(folder.glob("*"))]  # type: ignore[misc]


async def test_telegram_question_answered_by_email_reply(deputy: Deputy, tg: FakeTelegram) -> None:
    await tg.private_message(tg.user(STRANGER, "Sam"), "Could you send me the contract draft?")
    await until(lambda: any(str(c.params.get("chat_id")) == str(OWNER) for c in tg.calls_to("sendMessage")))
    await until(lambda: bool(outbox_mail(deputy)))  # the reminder climbs to the email fallback
    reminder = outbox_mail(deputy)[0]
    assert reminder["To"] == "alex@example.com" and "contract draft" in reminder.get_body().get_content()

    answer = EmailMessage()
    answer["From"] = "Alex Example <alex@example.com>"
    answer["To"] = f"deputy+{SECRET}@localhost"
    answer["Subject"] = "Re: " + str(reminder["Subject"])
    answer["Message-ID"] = "<owner-answer-1@example.com>"
    answer["In-Reply-To"] = str(reminder["Message-ID"])
    answer.set_content("Sure, I will send it to you tomorrow.\n\n> quoted question\n")
    port = deputy.connectors["local"].port  # type: ignore[attr-defined]
    await asyncio.to_thread(lambda: smtplib.SMTP("127.0.0.1", port).send_message(answer))

    def told_stranger() -> bool:
        return any(
            str(c.params.get("chat_id")) == str(STRANGER) and "tomorrow" in str(c.params.get("text"))
            for c in tg.calls_to("sendMessage")
        )

    await until(told_stranger)
    await until(lambda: bool(tg.calls_to("editMessageText")))
    assert await deputy.store.escalations.open() == []


async def test_forged_email_answer_is_refused(deputy: Deputy, tg: FakeTelegram) -> None:
    await tg.private_message(tg.user(STRANGER, "Sam"), "Please refund me.")
    await until(lambda: bool(outbox_mail(deputy)))
    reminder = outbox_mail(deputy)[0]
    forged = EmailMessage()
    forged["From"] = "Alex Example <alex@example.com>"  # a forged From, no secret address
    forged["To"] = "deputy@localhost"
    forged["Subject"] = "Re: reminder"
    forged["Message-ID"] = "<forged-1@evil.example>"
    forged["In-Reply-To"] = str(reminder["Message-ID"])
    forged.set_content("1")
    port = deputy.connectors["local"].port  # type: ignore[attr-defined]
    await asyncio.to_thread(lambda: smtplib.SMTP("127.0.0.1", port).send_message(forged))
    await deputy.drain()  # the mail was committed before its 250; drain waits until it is handled
    assert len(await deputy.store.escalations.open()) == 1
    assert any(e.outcome == "refused" for e in await deputy.store.audit.recent())
