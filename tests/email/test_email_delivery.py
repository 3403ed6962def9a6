"""Deliveries against real servers: SMTP sends (aiosmtpd), Sent lookups and filing (Dovecot)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from conftest import DovecotServer, SmtpServer
from email_helpers import append, imap_login, make_connector, message, raw

from bot.delivery import Delivery, OutboundMessage, message_id_for
from bot.errors import PermanentError, TransientError

MID = message_id_for("evt-1:reply:0", domain="deputy.test")


def send_delivery(*, in_doubt: bool = False, **kw: object) -> Delivery:
    fields: dict[str, object] = {
        "to": ("Alice <alice@example.org>",),
        "text": "We will pay this week.",
        "subject": "Invoice 42",
        "message_id": MID,
        "in_reply_to": "<inv42@example.org>",
    }
    fields.update(kw)
    payload = OutboundMessage(**fields).to_payload()  # type: ignore[arg-type]
    return Delivery(key="evt-1:reply:0", connector="email", op="send", payload=payload, in_doubt=in_doubt)


async def count(server: DovecotServer, mailbox: str) -> int:
    client = await imap_login(server)
    try:
        response = await client.select(f'"{mailbox}"')
        if response.result != "OK":
            return 0
        for line in response.lines:
            if isinstance(line, bytes) and line.endswith(b" EXISTS"):
                return int(line.split()[0])
        return 0
    finally:
        await client.logout()


async def test_send_then_copy_to_sent(
    dovecot: DovecotServer, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    conn, _ = make_connector(dovecot, tmp_path, smtp=smtp_server, sent_folder="Sent")
    receipt = await conn.deliver(send_delivery())
    await conn.stop()
    assert receipt["message_id"] == MID
    [sent] = smtp_server.recorder.messages
    assert sent["rcpt_tos"] == ["alice@example.org"]
    assert sent["parsed"]["Message-ID"] == MID
    assert sent["parsed"]["Auto-Submitted"] == "auto-replied"
    assert sent["parsed"]["Subject"] == "Re: Invoice 42"
    assert await count(dovecot, "Sent") == 1


async def test_in_doubt_send_found_in_sent_is_not_resent(
    dovecot: DovecotServer, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    conn, _ = make_connector(dovecot, tmp_path, smtp=smtp_server, sent_folder="Sent")
    client = await imap_login(dovecot)
    await client.create("Sent")
    await client.append(
        raw(f"From: deputy@deputy.test\nTo: alice@example.org\nMessage-ID: {MID}"), mailbox="Sent"
    )
    await client.logout()
    receipt = await conn.deliver(send_delivery(in_doubt=True))
    assert receipt == {"message_id": MID, "found_in_sent": "true"}
    assert smtp_server.recorder.messages == []
    # Another send in doubt that never went out is sent (once).
    other = message_id_for("evt-2:reply:0", domain="deputy.test")
    await conn.deliver(send_delivery(in_doubt=True, message_id=other))
    await conn.stop()
    assert [m["parsed"]["Message-ID"] for m in smtp_server.recorder.messages] == [other]


async def test_header_injection_adds_no_header(
    dovecot: DovecotServer, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    conn, _ = make_connector(dovecot, tmp_path, smtp=smtp_server)
    evil = "Invoice\r\nBcc: victim@example.net\r\nX-Evil: 1"
    await conn.deliver(send_delivery(subject=evil))
    await conn.deliver(send_delivery(subject="=?utf-8?q?x=0D=0ABcc=3A_victim=40example=2Enet?="))
    with pytest.raises(PermanentError):
        await conn.deliver(send_delivery(to=("alice@example.org\r\nBcc: victim@example.net",)))
    await conn.stop()
    clean = send_delivery()
    await conn.deliver(clean)
    names = [sorted(k.lower() for k in m["parsed"].keys()) for m in smtp_server.recorder.messages]
    assert len(names) == 3 and names[0] == names[1] == names[2]
    assert all(m["rcpt_tos"] == ["alice@example.org"] for m in smtp_server.recorder.messages)


@pytest.mark.parametrize(
    ("reply", "error"), [("451 4.3.0 try later", TransientError), ("554 5.7.1 no", PermanentError)]
)
async def test_smtp_codes_are_translated(
    dovecot: DovecotServer,
    smtp_server: SmtpServer,
    tmp_path: Path,
    reply: str,
    error: type[Exception],
) -> None:
    smtp_server.recorder.reply_code = reply
    conn, _ = make_connector(dovecot, tmp_path, smtp=smtp_server)
    with pytest.raises(error):
        await conn.deliver(send_delivery())
    await conn.stop()


async def test_file_one_message_with_flags_and_attachments(dovecot: DovecotServer, tmp_path: Path) -> None:
    body = (
        "--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: application/pdf\n"
        'Content-Disposition: attachment; filename="../../../etc/passwd"\n'
        "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n"
    )
    await append(
        dovecot,
        raw(
            'From: a@x.org\nMessage-ID: <inv@x.org>\nContent-Type: multipart/mixed; boundary="b"',
            body,
        ),
    )
    conn, _ = make_connector(dovecot, tmp_path)
    client = await imap_login(dovecot)
    selected = await client.select("INBOX")
    validity = next(x for x in selected.lines if b"UIDVALIDITY" in x).split(b"UIDVALIDITY ")[1].split(b"]")[0]
    await client.logout()
    payload = {
        "folder": "Invoices 2025", "flags": ["$Invoice", "\\Flagged"], "uid": "1",
        "mailbox": "INBOX", "uidvalidity": validity.decode(), "message_id": "<inv@x.org>",
        "save_attachments": True,
    }  # fmt: skip
    receipt = await conn.deliver(Delivery(key="k1", connector="email", op="file", payload=payload))
    assert receipt["moved"] == "1"
    [saved] = json.loads(receipt["saved"])
    saved_path = Path(saved)
    assert saved_path.parent == (tmp_path / "attachments").resolve()
    assert await asyncio.to_thread(saved_path.read_bytes) == b"%PDF-1.4\n"
    assert "/" not in saved_path.name and not saved_path.name.startswith(".")
    assert await count(dovecot, "Invoices 2025") == 1 and await count(dovecot, "INBOX") == 0
    # Replayed delivery (crash after the move): idempotent success.
    again = await conn.deliver(Delivery(key="k1", connector="email", op="file", payload=payload))
    assert again["already_filed"] == "true"
    # A stale UIDVALIDITY falls back to the Message-ID.
    await append(dovecot, message(5))
    stale = {
        "folder": "Archive",
        "uid": "1",
        "mailbox": "INBOX",
        "uidvalidity": "1",
        "message_id": "<m5@example.org>",
    }
    assert (await conn.deliver(Delivery(key="k2", connector="email", op="file", payload=stale)))[
        "moved"
    ] == "1"
    client = await imap_login(dovecot)
    await client.select('"Invoices 2025"')
    flags = await client.uid("fetch", "1:*", "(FLAGS)")
    await client.logout()
    await conn.stop()
    assert b"$Invoice" in flags.lines[0] and b"\\Flagged" in flags.lines[0]


async def test_file_1000_messages_in_batched_moves(dovecot: DovecotServer, tmp_path: Path) -> None:
    client = await imap_login(dovecot)
    for i in range(1000):
        await client.append(message(i), mailbox="INBOX")
    await client.logout()
    conn, _ = make_connector(dovecot, tmp_path)
    moved = await conn.store.file_many(list(range(1, 1001)), mailbox="INBOX", folder="Archive")
    commands = conn.store._client.commands if conn.store._client else {}
    await conn.stop()
    assert moved == 1000
    assert commands["UID MOVE"] == 20  # 50 UIDs per command: no RecursionError, no hang
    assert await count(dovecot, "Archive") == 1000
    assert await count(dovecot, "INBOX") == 0
