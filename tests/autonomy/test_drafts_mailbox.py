"""Drafts in the owner's own mailbox, through the real daemon (in-process) with its
email connector against Dovecot (IMAP) and aiosmtpd (SMTP): the draft is APPENDed to
Drafts with \\Draft, its own Message-ID and the reply's In-Reply-To and References;
sent by the owner from their client (it shows up in Sent) or deleted there, Deputy
records it and sends nothing; approved from the command line instead, the folder copy
is removed and the SMTP server receives exactly the owner's text."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aioimaplib
import pytest

from bot.app import Deputy
from bot.config import load
from bot.delivery import message_id_for
from tests.autonomy.support import DRAFT_TEXT, no_signature, write_draft_rule
from tests.core.conftest import ROOT, make_home
from tests.e2e.conftest import mail

AUTHSERV = "mx.deputy.test"
EDITED = "Hello Bob,\n\nthe list is attached; call me for volumes over 1000.\n\nAlex\n"


async def imap(server: Any) -> aioimaplib.IMAP4:
    client = aioimaplib.IMAP4(port=server.port, timeout=30)
    await client.wait_hello_from_server()
    await client.login("deputy", server.password)
    return client


async def folder(server: Any, name: str) -> list[tuple[bytes, bytes]]:
    """(flags line, raw message) of every message in ``name``."""
    client = await imap(server)
    try:
        response = await client.select(name)
        if response.result != "OK":
            return []
        response = await client.fetch("1:*", "(FLAGS BODY.PEEK[])")
        out, lines = [], response.lines
        for i, line in enumerate(lines):
            if isinstance(line, bytes) and b"FETCH" in line and i + 1 < len(lines):
                body = lines[i + 1]
                if isinstance(body, bytearray | bytes):
                    out.append((bytes(line), bytes(body)))
        return out
    finally:
        await client.logout()


async def append(server: Any, raw: bytes, name: str, flags: str = "") -> None:
    client = await imap(server)
    try:
        await client.create(name)
        response = await client.append(raw, mailbox=name, flags=flags or None)
        assert response.result == "OK", response
    finally:
        await client.logout()


async def delete_all(server: Any, name: str) -> None:
    client = await imap(server)
    try:
        await client.select(name)
        await client.store("1:*", "+FLAGS", r"(\Deleted)")
        await client.expunge()
    finally:
        await client.logout()


async def until(check: Any, limit: float = 30.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not (value := await check()):
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.1)
    return value


def parsed(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")  # RFC 5322 2.3: CRLF on the wire


async def start(tmp_path: Path, dovecot: Any, smtp_server: Any, *, owner_by_email: bool = False) -> Deputy:
    os.environ["DEPUTY_TEST_IMAP_PASSWORD"] = dovecot.password
    cfg = make_home(
        tmp_path,
        extra_config=(
            '[channels.email]\ntype = "email"\nimap_host = "127.0.0.1"\n'
            f'imap_port = {dovecot.port}\nimap_security = "none"\nusername = "deputy"\n'
            'password_env = "DEPUTY_TEST_IMAP_PASSWORD"\npoll_seconds = 1\n'
            f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp_server.port}\nsmtp_security = "none"\n'
            'address = "deputy@localhost"\nsent_folder = "Sent"\ndrafts_folder = "Drafts"\n'
            f'drafts_check_seconds = 0.2\nauthserv_id = "{AUTHSERV}"\n'
        ),
    )
    rules = tmp_path / "rules"
    write_draft_rule(rules)
    no_signature(rules)
    if owner_by_email:
        owner = rules / "owner.md"
        text = owner.read_text(encoding="utf-8").replace(
            'preferred_channel = "cli"', 'preferred_channel = "email"'
        )
        owner.write_text(text.replace('quiet_hours = ["22:00", "07:00"]', ""), encoding="utf-8")
    daemon = Deputy(load(cfg))
    await daemon.start()
    await until(lambda: daemon.store.kv.get("connector:email:imap_cursor:INBOX"))  # baseline taken
    return daemon


@pytest.fixture
async def deputy(tmp_path: Path, dovecot: Any, smtp_server: Any) -> Any:
    daemon = await start(tmp_path, dovecot, smtp_server)
    yield daemon
    await daemon.stop()


async def request(dovecot: Any, n: int) -> str:
    message_id = f"<imap-price-{n}@example.org>"
    msg = mail(
        sender="Bob Buyer <bob@example.org>",
        subject=f"Price list please ({n})",
        message_id=message_id,
        headers={"References": f"<older-{n}@example.org>"},
    )
    await append(dovecot, msg.as_bytes(), "INBOX")
    return message_id


async def newest_draft(deputy: Deputy, count: int) -> int:
    async def found() -> int:
        rows = await deputy.store.db.fetchall("SELECT id FROM drafts ORDER BY id")
        return int(rows[-1][0]) if len(rows) >= count else 0

    return int(await until(found))


async def test_the_mailbox_draft_is_threaded_and_the_owners_send_or_delete_is_recorded(
    deputy: Deputy, dovecot: Any, smtp_server: Any
) -> None:
    asked = await request(dovecot, 1)
    first = await newest_draft(deputy, 1)
    drafts = await until(lambda: folder(dovecot, "Drafts"))
    flags, raw = drafts[0]
    assert rb"\Draft" in flags
    copy = parsed(raw)
    own_id = message_id_for(f"draft:{first}:folder", domain=deputy.settings.deputy.message_id_domain)
    assert copy["Message-ID"] == own_id
    assert copy["In-Reply-To"] == asked
    assert copy["References"].split() == ["<older-1@example.org>", asked]
    assert "bob@example.org" in copy["To"] and copy["Subject"] == "Re: Price list please (1)"
    assert text_of(copy).rstrip("\n") == DRAFT_TEXT

    # The owner edits and sends it from their client: it leaves Drafts and lands in Sent.
    sent = parsed(raw)
    sent.set_content(EDITED)
    await append(dovecot, sent.as_bytes(policy=policy.SMTP), "Sent", r"(\Seen)")
    await delete_all(dovecot, "Drafts")

    async def closed(draft: int, state: str) -> bool:
        found = await deputy.store.drafts.get(draft)
        return found is not None and found.state == state

    await until(lambda: closed(first, "sent_by_owner"))
    record = await deputy.store.rule_ledger.get("prices")
    assert record is not None and record.sent_edited == 1 and 0 < record.changed_sum < 1
    found = await deputy.store.drafts.get(first)
    assert found is not None and found.final_text.rstrip("\n") == EDITED.rstrip("\n")

    # The owner deletes the next one.
    await request(dovecot, 2)
    second = await newest_draft(deputy, 2)
    await until(lambda: folder(dovecot, "Drafts"))
    await delete_all(dovecot, "Drafts")
    await until(lambda: closed(second, "deleted_by_owner"))
    record = await deputy.store.rule_ledger.get("prices")
    assert record is not None and record.discarded == 1
    await asyncio.sleep(0.5)
    to_bob = [m for m in smtp_server.recorder.messages if "bob@example.org" in m["rcpt_tos"]]
    assert to_bob == []  # Deputy itself sent nothing to the correspondent


async def test_approved_from_the_cli_the_folder_copy_goes_and_smtp_gets_the_exact_text(
    deputy: Deputy, dovecot: Any, smtp_server: Any, tmp_path: Path
) -> None:
    asked = await request(dovecot, 3)
    draft = await newest_draft(deputy, 1)
    await until(lambda: folder(dovecot, "Drafts"))
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "bot.cli",
            "send",
            str(draft),
            "--edit",
            "--config",
            str(tmp_path / "config.toml"),
        ],
        cwd=ROOT,
        input=EDITED,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr

    async def delivered() -> list[dict[str, Any]]:
        return [m for m in smtp_server.recorder.messages if m["parsed"]["In-Reply-To"] == asked]

    messages = await until(delivered)
    assert len(messages) == 1 and messages[0]["rcpt_tos"] == ["bob@example.org"]
    assert text_of(messages[0]["parsed"]) == EDITED  # byte for byte, CRLF read as LF

    async def folder_empty() -> bool:
        return await folder(dovecot, "Drafts") == []

    await until(folder_empty)  # the copy cannot be sent a second time from the client
    found = await deputy.store.drafts.get(draft)
    assert found is not None and found.state == "edited"
    await asyncio.sleep(0.5)  # the watcher saw the copy go, and reported nothing: it was ours
    assert [e.id for e in await deputy.store.escalations.open()] == []
    rows = await deputy.store.db.fetchall("SELECT outcome FROM audit WHERE outcome='late answer'")
    assert rows == []


async def test_an_email_reply_to_the_preview_sends_the_owners_text_and_a_forged_one_nothing(
    tmp_path: Path, dovecot: Any, smtp_server: Any
) -> None:
    deputy = await start(tmp_path, dovecot, smtp_server, owner_by_email=True)
    try:
        asked = await request(dovecot, 4)
        draft = await newest_draft(deputy, 1)

        async def preview() -> list[dict[str, Any]]:
            return [m for m in smtp_server.recorder.messages if m["rcpt_tos"] == ["alex@example.com"]]

        shown = (await until(preview))[0]["parsed"]
        assert f"#{draft}" in shown["Subject"] and "sends to bob@example.org" in text_of(shown)
        for line in DRAFT_TEXT.splitlines():
            assert line in text_of(shown)

        def answer(*, authenticated: bool) -> bytes:
            reply = EmailMessage()
            reply["From"] = "Alex Example <alex@example.com>"
            reply["To"] = "deputy@localhost"
            reply["Subject"] = "Re: " + shown["Subject"]
            reply["Message-ID"] = f"<answer-{authenticated}@example.com>"
            reply["In-Reply-To"] = shown["Message-ID"]
            if authenticated:  # what our MTA writes for a message with a passing signature
                reply["Authentication-Results"] = f"{AUTHSERV}; dkim=pass header.d=example.com header.s=sel"
            quoted = "\n".join("> " + line for line in text_of(shown).splitlines())
            reply.set_content(f"{EDITED}\nOn Wed, 2 Dec 2026, Deputy wrote:\n{quoted}\n")
            return reply.as_bytes()

        await append(dovecot, answer(authenticated=False), "INBOX")  # From the owner, unproven

        async def refused() -> bool:
            rows = await deputy.store.db.fetchall("SELECT 1 FROM audit WHERE outcome='refused'")
            return bool(rows)

        await until(refused)
        found = await deputy.store.drafts.get(draft)
        assert found is not None and found.state == "open"

        await append(dovecot, answer(authenticated=True), "INBOX")

        async def delivered() -> list[dict[str, Any]]:
            return [m for m in smtp_server.recorder.messages if m["parsed"]["In-Reply-To"] == asked]

        messages = await until(delivered)
        assert len(messages) == 1 and messages[0]["rcpt_tos"] == ["bob@example.org"]
        assert text_of(messages[0]["parsed"]) == EDITED  # the owner's words, without the quote
        found = await deputy.store.drafts.get(draft)
        assert found is not None and found.state == "edited" and found.via == "email"
    finally:
        await deputy.stop()
