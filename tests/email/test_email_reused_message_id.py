"""A second, different mail that reuses a Message-ID is handled, and the audit says so;
an exact redelivery still dedupes. Over the local SMTP listener and over IMAP (Dovecot)."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from email_helpers import append

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import make_home


def mail(subject: str, body: str, *, message_id: str = "<reused@acme>") -> bytes:
    return (
        f"From: Carol <carol@newco.example>\r\nTo: deputy@localhost\r\nSubject: {subject}\r\n"
        f"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: {message_id}\r\n\r\n{body}\r\n"
    ).encode()


FIRST = mail("Partnership?", "Shall we talk?")
SECOND = mail("Order 55", "Please ship 3 boxes.")


async def messages(deputy: Deputy) -> list[str]:
    rows = await deputy.store.db.fetchall("SELECT id FROM inbox WHERE kind='message' ORDER BY seq")
    return [r["id"] for r in rows]


async def audit_reasons(deputy: Deputy) -> list[str]:
    entries = await deputy.store.audit.recent(limit=100)
    return [reason for e in entries for reason in e.reasons]


async def check_both_handled(deputy: Deputy) -> None:
    ids = await messages(deputy)
    assert len(ids) == 2, ids
    assert all("<reused@acme>" in i for i in ids)
    reasons = await audit_reasons(deputy)
    assert any("a different mail reused Message-ID <reused@acme>" in r for r in reasons), reasons
    subjects = {e.subject for e in await deputy.store.audit.recent(limit=100)}
    assert {"Partnership?", "Order 55"} <= subjects
    # Threading still uses the real Message-ID.
    rows = await deputy.store.db.fetchall("SELECT body FROM inbox WHERE kind='message'")
    assert all('"message_id": "<reused@acme>"' in r["body"] for r in rows)


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[Deputy]:
    cfg = make_home(tmp_path, extra_config='[channels.local]\ntype = "local"\nlisten_port = 0\n')
    deputy = Deputy(load(cfg))
    await deputy.start()
    yield deputy
    await deputy.stop()


def smtp_send(port: int, data: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.sendmail("carol@newco.example", ["deputy@localhost"], data)


async def test_local_a_different_mail_with_a_reused_message_id_is_handled(local: Deputy) -> None:
    port = local.connectors["local"].port  # type: ignore[attr-defined]
    for data in (FIRST, SECOND, SECOND, FIRST):  # the last two: exact redeliveries
        await asyncio.to_thread(smtp_send, port, data)
        await local.drain()
    await check_both_handled(local)


async def test_imap_a_different_mail_with_a_reused_message_id_is_handled(
    dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPUTY_TEST_IMAP_PASSWORD", dovecot.password)
    cfg = make_home(
        tmp_path,
        extra_config=(
            '[channels.email]\ntype = "email"\nimap_host = "127.0.0.1"\n'
            f'imap_port = {dovecot.port}\nimap_security = "none"\nusername = "deputy"\n'
            'password_env = "DEPUTY_TEST_IMAP_PASSWORD"\nsmtp_host = "127.0.0.1"\nsmtp_port = 1\n'
            'smtp_security = "none"\naddress = "deputy@localhost"\npoll_seconds = 0.2\n'
        ),
    )
    deputy = Deputy(load(cfg))
    await deputy.start()
    try:
        connector = deputy.connectors["email"]
        for _ in range(300):  # the first catch-up sets the baseline: later mail is new
            if connector.watchers and connector.watchers[0].connects:  # type: ignore[attr-defined]
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        for data in (FIRST, SECOND, SECOND):  # the same mail delivered twice: one event
            await append(dovecot, data)
        for _ in range(600):
            if len(await messages(deputy)) >= 2 and not await deputy.store.inbox.has_pending():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # time for a wrong third event to show up
        await check_both_handled(deputy)
    finally:
        await deputy.stop()
