"""The core pipeline end to end: inbox -> workers -> router -> agent -> gate -> outbox."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from bot.errors import AlreadyRunning
from bot.events import Event
from tests.core.conftest import RecordingChannel, make_home
from tests.core.helpers import mail

# An invoice names what it asks: the template's "it will be paid" is typed with this
# amount; an invoice with no amount would be asked (the gate blocks untyped promises).
INVOICE = "Please find our invoice attached. Total due: 120.00 EUR.\n"


async def test_matching_rule_files_and_replies_once(daemon) -> None:
    deputy, channel = daemon
    event = mail(sender="ap@acme-supplies.com", subject="Invoice 7", text="Total due: 80.00 EUR")
    assert await deputy.emit(event)
    assert not await deputy.emit(event)  # the same id again: dedupe
    await deputy.drain()
    ops = sorted(d.op for d in channel.delivered)
    assert ops == ["file", "send"]
    send = channel.sends()[0]
    assert send.payload["to"] == ["ap@acme-supplies.com"]
    assert send.payload["subject"] == "Re: Invoice 7"
    assert send.payload["in_reply_to"] == event.refs["message_id"]


async def test_unmatched_mail_escalates_and_answer_resumes(daemon) -> None:
    deputy, channel = daemon
    event = mail(sender="carol@new.com", subject="Partnership?")
    await deputy.emit(event)
    await deputy.drain()
    assert channel.sends() == []
    pending = await deputy.store.escalations.open()
    assert len(pending) == 1 and "No rule covers" in pending[0].question
    answer = Event(
        id="cli:a1",
        channel="cli",
        kind="owner_answer",
        thread="cli",
        sender="owner",
        sender_verified_owner=True,
        received_at=event.received_at,
        text="Thanks Carol, let's talk next week.",
        refs={"escalation_id": str(pending[0].id)},
    )
    await deputy.emit(answer)
    await deputy.drain()
    sends = channel.sends()
    assert len(sends) == 1 and sends[0].payload["to"] == ["carol@new.com"]
    assert "let's talk next week" in sends[0].payload["text"]
    assert await deputy.store.escalations.open() == []


async def test_second_answer_loses_and_is_told(daemon) -> None:
    deputy, channel = daemon
    event = mail(sender="dan@new.com", subject="Question")
    await deputy.emit(event)
    await deputy.drain()
    esc = (await deputy.store.escalations.open())[0]
    for n, text in enumerate(["Thanks, first answer.", "Thanks, second answer."]):
        await deputy.emit(
            Event(
                id=f"cli:x{n}",
                channel="cli",
                kind="owner_answer",
                thread="cli",
                sender="owner",
                sender_verified_owner=True,
                received_at=event.received_at,
                text=text,
                refs={"escalation_id": str(esc.id)},
            )
        )
        await deputy.drain()
    sends = channel.sends()
    assert [s.payload["text"].split("\n")[0] for s in sends] == ["Thanks, first answer."]
    log = await deputy.store.audit.recent()
    assert any(e.outcome == "late answer" for e in log)


async def test_unverified_answer_is_refused(daemon) -> None:
    deputy, _ = daemon
    await deputy.emit(mail(sender="eve@new.com", subject="hi"))
    await deputy.drain()
    esc = (await deputy.store.escalations.open())[0]
    forged = mail(
        sender="alex@example.com",
        text="1",
        kind="owner_answer",
        refs={"button_data": f"esc:{esc.id}:{esc.nonce}:0"},
    )
    await deputy.emit(forged)
    await deputy.drain()
    assert (await deputy.store.escalations.open())[0].id == esc.id
    assert any(e.outcome == "refused" for e in await deputy.store.audit.recent())


async def test_order_within_a_thread(daemon) -> None:
    deputy, _ = daemon
    for n in range(10):
        await deputy.emit(
            mail(
                sender="ap@acme-supplies.com",
                subject=f"Invoice {n}",
                text="Total due: 80.00 EUR",
                thread="T1",
            )
        )
    await deputy.drain()
    rows = await deputy.store.db.fetchall("SELECT event_id FROM audit ORDER BY id")
    subjects = [r[0] for r in rows]
    assert subjects == sorted(subjects, key=lambda s: int(s.split("<m")[1].split("@")[0]))


async def test_bulk_mail_is_filed_but_never_answered(daemon) -> None:
    deputy, channel = daemon
    await deputy.emit(
        mail(
            sender="ap@acme-supplies.com",
            subject="Invoice 9",
            text="Total due: 80.00 EUR",
            headers={"auto-submitted": "auto-generated"},
        )
    )
    await deputy.emit(mail(sender="nobody@bulk.com", subject="Sale!", headers={"precedence": "bulk"}))
    await deputy.drain()
    assert [d.op for d in channel.delivered] == ["file"]
    assert await deputy.store.escalations.open() == []


async def test_poison_event_is_quarantined_and_owner_told_once(daemon, monkeypatch) -> None:
    deputy, _ = daemon
    calls = 0

    async def explode(*args, **kwargs):
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    monkeypatch.setattr(deputy.handler.rules_only, "decide", explode)
    await deputy.emit(mail(sender="ap@acme-supplies.com", subject="Invoice X", text="Total due: 80.00 EUR"))
    await deputy.emit(
        mail(sender="ap@acme-supplies.com", subject="Invoice Y", text="Total due: 80.00 EUR", thread="other")
    )
    await deputy.drain(timeout=30)
    counts = await deputy.store.inbox.counts()
    assert counts.get("quarantined") == 2 and calls == 6
    notices = await deputy.store.db.fetchall("SELECT key FROM outbox WHERE key LIKE 'quarantine:%'")
    assert len(notices) == 2


async def test_transient_delivery_failure_is_retried(daemon) -> None:
    deputy, channel = daemon
    channel.fail_next = 2
    await deputy.emit(mail(sender="ap@acme-supplies.com", subject="Invoice 5", text="Total due: 80.00 EUR"))
    await deputy.drain(timeout=30)
    assert sorted(d.op for d in channel.delivered) == ["file", "send"]


async def test_single_instance_lock(tmp_path: Path) -> None:
    cfg = make_home(tmp_path)
    first = Deputy(load(cfg), extra_connectors={"local": ("local", RecordingChannel())})
    await first.start()
    try:
        second = Deputy(load(cfg), extra_connectors={"local": ("local", RecordingChannel())})
        with pytest.raises(AlreadyRunning):
            await second.start()
    finally:
        await first.stop()
    third = Deputy(load(cfg), extra_connectors={"local": ("local", RecordingChannel())})
    await third.start()
    await third.stop()


async def test_owner_commands_pause_and_pending(daemon) -> None:
    deputy, channel = daemon
    owner = dataclasses.replace(
        mail(),
        id="cli:c1",
        channel="cli",
        kind="owner_message",
        sender="owner",
        sender_verified_owner=True,
        text="pause",
    )
    await deputy.emit(owner)
    await deputy.drain()
    await deputy.emit(mail(sender="ap@acme-supplies.com", subject="Invoice 11", text="Total due: 80.00 EUR"))
    await deputy.drain()
    assert channel.sends() == []  # paused: the reply waits for approval
    pending = await deputy.store.escalations.open()
    assert len(pending) == 1 and "paused" in pending[0].question.lower()
    await deputy.emit(
        dataclasses.replace(
            owner, id="cli:c2", kind="owner_answer", text="1", refs={"escalation_id": str(pending[0].id)}
        )
    )
    await deputy.drain()
    assert len(channel.sends()) == 1
    await asyncio.sleep(0)
