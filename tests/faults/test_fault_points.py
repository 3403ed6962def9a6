"""Each fault point, for real: the daemon subprocess is started with DEPUTY_FAULT=<point>,
one event is driven to that point, the process exits with 86 right there, and the daemon
is restarted without the fault. Then, from outside (the servers, the Maildirs, the
database with stdlib sqlite3): the message was handled exactly once, the reply went out
once, the move happened once, the database is intact.

Local channel (SMTP listener + Maildir): every core point plus the local writers.
Email channel (Dovecot + aiosmtpd): after_fetch, after_smtp_data, after_250,
after_imap_move, after_attachment_write.
"""

from __future__ import annotations

import json
import smtplib
import time
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.faults import EXIT_CODE, POINTS
from tests.e2e.conftest import INVOICE_TEXT, Home, mail, make_home, wait_until
from tests.faults.conftest import (
    ADDRESS,
    Smtp,
    append,
    count_in,
    cursor_ready,
    email_home,
)

TIMEOUT = 60.0  # only to avoid hanging; never asserted


def crash_at(home: Home, point: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPUTY_FAULT", point)
    home.start()
    monkeypatch.delenv("DEPUTY_FAULT")


def wait_for_fault(home: Home) -> None:
    proc = home.proc
    assert proc is not None
    try:
        code = proc.wait(timeout=TIMEOUT)
    except Exception:
        raise AssertionError(f"the fault point was never reached:\n{home.last_log()}") from None
    home.proc = None
    assert code == EXIT_CODE, f"exit {code}, expected {EXIT_CODE}:\n{home.last_log()}"
    assert "fault point" in home.last_log()


def try_send(home: Home, msg: EmailMessage) -> bool:
    try:
        home.send(msg, timeout=TIMEOUT)
        return True
    except (OSError, smtplib.SMTPException):
        return False  # the process died before our 250: a real MTA retries


def finish(home: Home, *, failed: int = 0) -> None:
    """Drain, stop cleanly, check the database; every outbox row is sent except
    ``failed`` rows that failed for good (a send in doubt that is not repeated)."""
    wait_until(home.drained, timeout=TIMEOUT, interval=0.1)
    assert home.stop() == 0, home.last_log()
    assert home.query("PRAGMA integrity_check")[0][0] == "ok"
    unsent = home.query("SELECT key, state, last_error FROM outbox WHERE state != 'sent'")
    assert [r["state"] for r in unsent] == ["failed"] * failed, [tuple(r) for r in unsent]


def ids_in(folder: Path, message_id: str) -> int:
    n = 0
    for path in folder.glob("*.eml") if folder.exists() else ():
        head = path.read_bytes().split(b"\n\n", 1)[0]
        n += head.count(message_id.encode())
    return n


LOCAL_POINTS = [
    "after_fetch",
    "after_inbox_commit",
    "after_llm_answer",
    "after_outbox_commit",
    "after_smtp_data",
    "after_250",
    "after_imap_move",
]


def test_every_point_is_named_and_tested() -> None:
    covered = set(LOCAL_POINTS) | set(EMAIL_POINTS)
    assert covered == set(POINTS)


@pytest.mark.parametrize("point", LOCAL_POINTS)
def test_local_channel_fault_point(point: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = make_home(tmp_path / "deputy")
    try:
        mid = f"<fault-{point}@acme-supplies.com>"
        msg = mail(sender="ap@acme-supplies.com", subject="Invoice 7", message_id=mid, text=INVOICE_TEXT)
        crash_at(home, point, monkeypatch)
        accepted = try_send(home, msg)
        wait_for_fault(home)
        home.start()
        if not accepted:
            assert try_send(home, msg)
        finish(home)

        rows = home.query("SELECT state FROM inbox WHERE id = ?", (f"local:{mid}",))
        assert [r["state"] for r in rows] == ["done"]
        assert len(home.replies_to(mid)) == 1, "reply missing or doubled"
        assert ids_in(home.mail / "Invoices", mid) == 1, "filing missing or doubled"
        assert ids_in(home.mail / "INBOX", mid) == 0
        audits = home.query("SELECT COUNT(*) FROM audit WHERE event_id = ?", (f"local:{mid}",))[0][0]
        assert audits == 1
    finally:
        home.cleanup()


# ----- the email channel: Dovecot + aiosmtpd -------------------------------------------------

EMAIL_POINTS = ["after_fetch", "after_smtp_data", "after_250", "after_imap_move", "after_attachment_write"]


def invoice(mid: str) -> bytes:
    msg = mail(
        sender="ap@acme-supplies.com", subject="Invoice 9", message_id=mid, to=ADDRESS, text=INVOICE_TEXT
    )
    return bytes(msg)


def statement(mid: str) -> bytes:
    msg = mail(sender="bank@bank.example", subject="Your statement", message_id=mid, to=ADDRESS)
    msg.add_attachment(b"%PDF-1.4 fake\n", maintype="application", subtype="pdf", filename="statement.pdf")
    return bytes(msg)


@pytest.mark.parametrize(
    "point",
    [
        "after_fetch",
        "after_smtp_data",
        "after_250",
        "after_imap_move",
    ],
)
def test_email_channel_fault_point(
    point: str, tmp_path: Path, dovecot: object, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = email_home(tmp_path / "deputy", dovecot, smtp)
    try:
        mid = f"<fault-{point}@acme-supplies.com>"
        crash_at(home, point, monkeypatch)
        wait_until(lambda: cursor_ready(home), timeout=TIMEOUT)
        append(dovecot, invoice(mid))
        wait_for_fault(home)
        home.start()
        wait_until(lambda: count_in(dovecot, "Invoices", mid) == 1, timeout=TIMEOUT)
        wait_until(lambda: any(r for r in smtp.recorder.messages), timeout=TIMEOUT)
        # After DATA began the reply may have gone out and nothing can tell: it is not
        # sent again (at most once), its row fails, and the owner is told.
        in_doubt = point == "after_smtp_data"
        finish(home, failed=1 if in_doubt else 0)

        rows = home.query("SELECT state FROM inbox WHERE id = ?", (f"email:{mid}",))
        assert [r["state"] for r in rows] == ["done"]
        replies = [m for m in smtp.recorder.messages if (m["In-Reply-To"] or "").strip() == mid]
        assert len(replies) == 1, f"{len(replies)} replies reached the SMTP server"
        assert count_in(dovecot, "Invoices", mid) == 1, "moved twice or lost"
        assert count_in(dovecot, "INBOX", mid) == 0
        sent = Counter(smtp.recorder.message_ids())
        reply_id = replies[0]["Message-ID"].strip()
        # The crash came before the copy to Sent; nobody makes one later.
        assert count_in(dovecot, "Sent", reply_id) == (0 if in_doubt else 1)
        assert all(n == 1 for n in sent.values()), sent
        notices = home.query("SELECT state, payload FROM outbox WHERE key LIKE 'in-doubt:%'")
        if in_doubt:
            [row] = home.query("SELECT key, state, last_error FROM outbox WHERE state != 'sent'")
            assert row["state"] == "failed" and row["last_error"].startswith("in doubt:")
            [notice] = notices
            assert notice["state"] == "sent"
            text = json.loads(notice["payload"])["text"]
            assert "may or may not" in text and "will not resend" in text, text
            assert "ap@acme-supplies.com" in text and "Invoice 9" in text, text
        else:
            assert notices == []
    finally:
        home.cleanup()


def test_email_channel_after_attachment_write(
    tmp_path: Path, dovecot: object, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = email_home(tmp_path / "deputy", dovecot, smtp)
    try:
        mid = "<fault-attachment@bank.example>"
        crash_at(home, "after_attachment_write", monkeypatch)
        wait_until(lambda: cursor_ready(home), timeout=TIMEOUT)
        append(dovecot, statement(mid))
        wait_for_fault(home)
        saved = sorted(p.name for p in (home.data / "attachments").iterdir())
        assert len(saved) == 1 and saved[0].endswith("statement.pdf")
        assert count_in(dovecot, "INBOX", mid) == 1  # died before the move
        home.start()
        wait_until(lambda: count_in(dovecot, "Statements", mid) == 1, timeout=TIMEOUT)
        finish(home)

        assert count_in(dovecot, "INBOX", mid) == 0
        files = sorted(p.name for p in (home.data / "attachments").iterdir())
        assert files == saved, "attachment written twice under different names, or a .part left"
        assert (home.data / "attachments" / saved[0]).read_bytes() == b"%PDF-1.4 fake\n"
        assert smtp.recorder.messages == []
        rows = home.query("SELECT state FROM inbox WHERE id = ?", (f"email:{mid}",))
        assert [r["state"] for r in rows] == ["done"]
        time.sleep(0)  # nothing else to wait for
    finally:
        home.cleanup()
