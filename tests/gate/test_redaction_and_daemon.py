"""Secrets in the decision log, and the gate end to end through the daemon."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.redact import SECRETS, UNTRUSTED
from bot.store import AuditEntry, Store
from tests.core.conftest import RecordingChannel
from tests.core.helpers import mail

API_KEY = "sk-live-AUDIT-SECRET-5150"


async def test_model_text_in_the_audit_is_redacted_and_marked(tmp_path: Path) -> None:
    from bot.logs import Redactor

    Redactor([API_KEY])  # the logging filter registers the secret: the audit writer sees it
    store = Store(tmp_path / "deputy.db")
    await store.open()
    try:
        async with store.db.transaction() as tx:
            await store.audit.add_in(
                tx,
                AuditEntry(
                    event_id="e1",
                    outcome="handled",
                    subject=f"key {API_KEY}",
                    reasons=("rule 'x' matched", f"model: the key is {API_KEY}\x1b[2J"),
                    actions=(f"reply: here is {API_KEY}",),
                    blocked=(f"reply 'leak {API_KEY}': link evil.net",),
                    llm_calls=1,
                ),
            )
        (entry,) = await store.audit.recent()
    finally:
        await store.close()
    stored = repr(entry)
    assert API_KEY not in stored and "[redacted]" in stored
    assert entry.reasons[0] == "rule 'x' matched"
    assert entry.reasons[1].startswith(UNTRUSTED) and "\x1b" not in entry.reasons[1]
    assert entry.actions[0].startswith(UNTRUSTED)


def test_one_redactor_for_logs_and_audit(caplog: object) -> None:
    from bot.logs import Redactor

    filt = Redactor(["tok-LOG-AND-AUDIT-1"])
    assert filt.store is SECRETS and "tok-LOG-AND-AUDIT-1" in SECRETS.values
    record = logging.LogRecord(
        "x", logging.INFO, "f", 1, "GET /bot%s/getUpdates", ("tok-LOG-AND-AUDIT-1",), None
    )
    filt.filter(record)
    assert "tok-LOG-AND-AUDIT-1" not in record.getMessage()


async def test_daemon_blocks_an_untyped_promise_and_asks(daemon: tuple[object, RecordingChannel]) -> None:
    """An invoice with no amount: the template's "it will be paid" cannot be typed, the
    gate blocks the reply and the owner is asked; nothing goes to the sender."""
    deputy, channel = daemon
    await deputy.emit(mail(sender="ap@acme-supplies.com", subject="Invoice 77", text="see attached"))  # type: ignore[attr-defined]
    await deputy.drain()  # type: ignore[attr-defined]
    to_sender = [d for d in channel.sends() if d.payload.get("to") == ["ap@acme-supplies.com"]]
    assert to_sender == []
    (entry,) = [e for e in await deputy.store.audit.recent() if e.subject == "Invoice 77"]  # type: ignore[attr-defined]
    # Stopped twice over: the rule's amount limit asks before any reply is planned, and
    # the gate would block the untyped promise on its own (tests/gate/test_commitments.py).
    assert entry.outcome == "escalated"
    assert any("typed payment" in b for b in entry.blocked) or any("no amount" in r for r in entry.reasons)


async def test_daemon_sends_the_typed_promise(daemon: tuple[object, RecordingChannel]) -> None:
    deputy, channel = daemon
    text = "Invoice 78. Total due: 120.00 EUR."
    await deputy.emit(mail(sender="ap@acme-supplies.com", subject="Invoice 78", text=text))  # type: ignore[attr-defined]
    await deputy.drain()  # type: ignore[attr-defined]
    sent = [d for d in channel.sends() if d.payload.get("to") == ["ap@acme-supplies.com"]]
    assert len(sent) == 1 and "paid this week" in str(sent[0].payload.get("text", sent[0].payload))


async def test_bulk_mail_with_an_untyped_promise_asks_nobody(daemon: tuple[object, RecordingChannel]) -> None:
    """Precedence: bulk suppresses the reply anyway (RFC 3834): the gate's block on it
    must not turn into a question to the owner."""
    deputy, channel = daemon
    bulk = mail(sender="ap@acme-supplies.com", subject="Invoice 79", headers={"precedence": "bulk"})
    await deputy.emit(bulk)  # type: ignore[attr-defined]
    await deputy.drain()  # type: ignore[attr-defined]
    assert sorted(d.op for d in channel.delivered) == ["file"]
