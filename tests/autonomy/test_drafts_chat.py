"""Drafts answered from chat, through the real daemon (in-process) with its Telegram and
Slack connectors against loopback Bot API / Web API servers and its local mail channel
(real SMTP in, the outgoing mail as written to the outbox): the preview carries the
whole text and every recipient, split by the channel's limit; the owner's Send button
sends the draft, Discard sends nothing, and a reply to the preview sends exactly the
owner's text. A stranger's reply to the preview does nothing."""

from __future__ import annotations

import asyncio
import email
import email.policy
import smtplib
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from connectors.chat_text import utf16_len
from tests.autonomy.support import LONG_TEXT, no_signature, write_draft_rule
from tests.core.conftest import make_home
from tests.e2e.conftest import free_port, mail
from tests.fakes.slack_api import EventsClient, FakeSlack
from tests.fakes.telegram_api import FakeTelegram

TG_TOKEN = "123456:autonomy-telegram-token"
SLACK_TOKEN = "xoxb-1-2-autonomy-slack-token"
SIGNING = "autonomy-signing-secret-0123456789"
OWNER, STRANGER = 4242, 777
OWNER_SLACK, TEAM = "U0OWNER", "T0TEAM"
EDITED = "Hi Bob,\n\nhere is the short version: prices on request, by phone.\n\nAlex"
BILLS = (
    '+++\nname = "bills"\nwhen.subject = "(?i)your bill"\nmay = ["file", "reply"]\n'
    'file.folder = "Bills"\nreply = { template = "Thanks, received." }\npriority = 60\n+++\n'
    "File bills and confirm them (an automatic rule: the config's default level).\n"
)
PRICED = "Hi Bob,\n\nhere is the short version: 40 EUR an hour.\n\nAlex"


@pytest.fixture
async def fakes(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[FakeTelegram, FakeSlack]]:
    monkeypatch.setenv("DEPUTY_TELEGRAM_TOKEN", TG_TOKEN)
    monkeypatch.setenv("DEPUTY_SLACK_BOT_TOKEN", SLACK_TOKEN)
    monkeypatch.setenv("DEPUTY_SLACK_SIGNING_SECRET", SIGNING)
    tg, slack = FakeTelegram(token=TG_TOKEN), FakeSlack(token=SLACK_TOKEN, team_id=TEAM)
    tg.known_chats.update({OWNER, STRANGER})
    await tg.start()
    await slack.start()
    yield tg, slack
    await tg.stop()
    await slack.stop()


async def start_deputy(
    tmp_path: Path, tg: FakeTelegram, slack: FakeSlack, *, preferred: str, bills: bool = False
) -> tuple[Deputy, int]:
    port = free_port()
    cfg = make_home(
        tmp_path,
        extra_config=(
            f'[channels.local]\ntype = "local"\nlisten_port = {port}\n'
            f'[channels.telegram]\ntype = "telegram"\nbase_url = "{tg.base_url}"\npoll_timeout = 1\n'
            f'[channels.slack]\ntype = "slack"\nmode = "http"\nhttp_listen = "127.0.0.1:0"\n'
            f'api_base_url = "{slack.base_url}"\n'
        ),
    )
    rules = tmp_path / "rules"
    write_draft_rule(rules, text=LONG_TEXT)
    no_signature(rules)
    if bills:
        (rules / "bills.md").write_text(BILLS, encoding="utf-8")
    owner_md = rules / "owner.md"
    owner_md.write_text(
        owner_md.read_text()
        .replace('preferred_channel = "cli"', f'preferred_channel = "{preferred}"')
        .replace("# identities.telegram = 123456789", f"identities.telegram = {OWNER}")
        .replace('# identities.slack = "U0123ABC"', f'identities.slack = "{OWNER_SLACK}"')
        .replace('# identities.slack_team = "T0123ABC"', f'identities.slack_team = "{TEAM}"')
        .replace('quiet_hours = ["22:00", "07:00"]', ""),  # CI may run at night
        encoding="utf-8",
    )
    deputy = Deputy(load(cfg))
    await deputy.start()
    return deputy, port


async def wait_for(predicate: Callable[[], object], limit: float = 30.0) -> object:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not (value := predicate()):
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)
    return value


async def request(port: int, n: int) -> str:
    message_id = f"<chat-price-{n}@example.org>"
    msg = mail(
        sender="Bob Buyer <bob@example.org>", subject=f"Price list please ({n})", message_id=message_id
    )

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.send_message(msg)

    await asyncio.to_thread(send)
    return message_id


def replies(tmp_path: Path, message_id: str) -> list[EmailMessage]:
    new = tmp_path / "data" / "outbox" / "new"
    out = []
    for path in sorted(new.iterdir()) if new.exists() else []:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        if (msg["In-Reply-To"] or "").strip() == message_id:
            out.append(msg)
    return out


def body(msg: EmailMessage) -> str:
    """The text as sent: CRLF line ends read back as LF (RFC 5322 2.3), and the line
    break that ends a MIME text part's last line (the owner's texts here have none)."""
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    text = str(part.get_content()).replace("\r\n", "\n")
    assert text.endswith("\n")
    return text[:-1]


async def open_draft(deputy: Deputy, before: int) -> int:
    async def newest() -> int:
        drafts = await deputy.store.drafts.open()
        return drafts[-1].id if len(drafts) > before else 0

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not (found := await newest()):
        assert loop.time() < deadline, "no draft"
        await asyncio.sleep(0.05)
    return found


async def settled(deputy: Deputy) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    await asyncio.sleep(0.2)
    while await deputy.store.inbox.has_pending() or await deputy.store.outbox.has_pending():
        assert loop.time() < deadline, "daemon did not settle"
        await asyncio.sleep(0.05)


def owner_texts(tg: FakeTelegram) -> list[tuple[int, str, bool]]:
    """(message id, text, has buttons) of what the bot sent the owner."""
    return [
        (message_id, str(m.get("text", "")), "reply_markup" in m)
        for (chat, message_id), m in sorted(tg.messages.items())
        if chat == OWNER and "raw_text" in m  # the bot's own messages
    ]


async def last_part(tg: FakeTelegram, draft: int) -> int:
    """The message id of a draft preview's last part (its footer and buttons)."""
    found = await wait_for(lambda: [m for m, t, _ in owner_texts(tg) if f"deputy discard {draft}" in t])
    assert isinstance(found, list)
    return int(found[-1])


async def test_telegram_preview_is_whole_and_send_edit_discard_act(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeSlack]
) -> None:
    tg, slack = fakes
    deputy, port = await start_deputy(tmp_path, tg, slack, preferred="telegram")
    try:
        owner, stranger = tg.user(OWNER, "Alex"), tg.user(STRANGER, "Sam")
        first_mid = await request(port, 1)
        first = await open_draft(deputy, 0)
        await wait_for(lambda: any(buttons for _, _, buttons in owner_texts(tg)))
        parts = owner_texts(tg)
        preview = "".join(text for _, text, _ in parts)
        assert len(parts) > 1 and all(utf16_len(t) <= 4096 for _, t, _ in parts)  # split, by the limit
        assert "sends to bob@example.org" in preview
        for line in LONG_TEXT.splitlines():
            assert line in preview  # every line, whole
        prompt_id = parts[-1][0]
        assert parts[-1][2]  # the buttons ride on the last part

        await tg.private_message(stranger, "Send me your money", reply_to=prompt_id)
        await settled(deputy)
        assert replies(tmp_path, first_mid) == []  # only the owner acts on a draft

        # The owner's text names a price the rule has no limit for: the gate still checks
        # an edited draft, and the owner is asked, with the reason, before it leaves.
        await tg.private_message(owner, PRICED, reply_to=prompt_id)
        await wait_for(lambda: any("did not pass the rule's checks" in t for _, t, _ in owner_texts(tg)))
        asked = await wait_for(lambda: [p for p in owner_texts(tg) if p[2] and "does not allow it" in p[1]])
        assert isinstance(asked, list) and "40 EUR an hour" in asked[-1][1]
        assert replies(tmp_path, first_mid) == []
        question = (await deputy.store.escalations.open())[-1]
        await tg.press(owner, OWNER, asked[-1][0], f"esc:{question.id}:{question.nonce}:0")  # Do it anyway
        sent = await wait_for(lambda: replies(tmp_path, first_mid))
        assert isinstance(sent, list) and len(sent) == 1 and body(sent[0]) == PRICED
        draft = await deputy.store.drafts.get(first)
        assert draft is not None and draft.state == "edited" and draft.via == "telegram"

        second_mid = await request(port, 2)
        second = await open_draft(deputy, 0)
        esc = await deputy.store.escalations.get(second)
        assert esc is not None
        last = await last_part(tg, second)
        await tg.press(owner, OWNER, last, f"esc:{second}:{esc.nonce}:0")  # Send
        sent = await wait_for(lambda: replies(tmp_path, second_mid))
        assert isinstance(sent, list) and body(sent[0]) == LONG_TEXT

        third_mid = await request(port, 3)
        third = await open_draft(deputy, 0)
        esc = await deputy.store.escalations.get(third)
        assert esc is not None
        last = await last_part(tg, third)
        await tg.press(owner, OWNER, last, f"esc:{third}:{esc.nonce}:1")  # Discard
        await wait_for(lambda: any("discarded" in t for _, t, _ in owner_texts(tg)))
        await settled(deputy)
        assert replies(tmp_path, third_mid) == []
        assert len(replies(tmp_path, first_mid)) == 1 and len(replies(tmp_path, second_mid)) == 1
        record = await deputy.store.rule_ledger.get("prices")
        assert record is not None
        assert (record.sent_unchanged, record.sent_edited, record.discarded) == (1, 1, 1)
    finally:
        await deputy.stop()


async def test_slack_preview_is_whole_and_a_thread_reply_sends_the_owners_text(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeSlack]
) -> None:
    tg, slack = fakes
    deputy, port = await start_deputy(tmp_path, tg, slack, preferred="slack")
    try:
        mid = await request(port, 1)
        draft = await open_draft(deputy, 0)
        posts = await wait_for(lambda: [m for m in slack.messages.values() if m.get("blocks")])
        assert isinstance(posts, list)
        prompt = posts[-1]
        sections = [b["text"]["text"] for b in prompt["blocks"] if b.get("type") == "section"]
        assert len(sections) > 1  # split by the section limit
        shown = "".join(sections).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        assert "sends to bob@example.org" in shown
        for line in LONG_TEXT.splitlines():
            assert line in shown

        server = deputy.connectors["slack"].http_port  # type: ignore[attr-defined]
        events = EventsClient(
            url=f"http://127.0.0.1:{server}/slack/events", signing_secret=SIGNING, team_id=TEAM
        )
        channel, ts = str(prompt["channel"]), str(prompt["ts"])
        reply = events.message(user=OWNER_SLACK, text=EDITED, channel=channel, thread_ts=ts)
        assert await events.post(reply) == 200
        sent = await wait_for(lambda: replies(tmp_path, mid))
        assert isinstance(sent, list) and len(sent) == 1 and body(sent[0]) == EDITED
        found = await deputy.store.drafts.get(draft)
        assert found is not None and found.state == "edited" and found.via == "slack"
    finally:
        await deputy.stop()


async def test_undoing_an_auto_rules_filing_lowers_it_to_draft_at_once(
    tmp_path: Path, fakes: tuple[FakeTelegram, FakeSlack]
) -> None:
    tg, slack = fakes
    deputy, port = await start_deputy(tmp_path, tg, slack, preferred="telegram", bills=True)
    try:
        first = await bill(port, 1)
        await wait_for(lambda: replies(tmp_path, first))  # auto: replied at once
        await settled(deputy)
        row = await deputy.store.db.fetchone("SELECT seq FROM outbox WHERE op='file' AND state='sent'")
        assert row is not None
        await tg.private_message(tg.user(OWNER, "Alex"), f"undo {row[0]}")
        told = await wait_for(lambda: [t for _, t, _ in owner_texts(tg) if "back in draft mode" in t])
        assert isinstance(told, list) and "Rule 'bills'" in told[0]
        record = await deputy.store.rule_ledger.get("bills")
        assert record is not None and record.level == "draft" and record.undone == 1

        second = await bill(port, 2)
        await open_draft(deputy, 0)  # now the reply waits for the owner
        await settled(deputy)
        assert replies(tmp_path, second) == []
    finally:
        await deputy.stop()


async def bill(port: int, n: int) -> str:
    message_id = f"<bill-{n}@example.org>"
    msg = mail(sender="Shop <billing@shop.example>", subject=f"Your bill {n}", message_id=message_id)

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.send_message(msg)

    await asyncio.to_thread(send)
    return message_id
