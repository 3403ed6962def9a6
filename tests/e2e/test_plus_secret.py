"""The owner's plus-address secret is never stored: after an owner's forward to
deputy+SECRET@localhost through the real daemon (a subprocess, mail over SMTP), no file
in the data folder (the raw .eml in the Maildir, wherever it was filed; the outbox; the
database and its WAL), no daemon log and no decoded header or part of a kept message
holds the secret in any case, plain or hidden in an encoding."""

from __future__ import annotations

import base64
import email
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from tests.e2e.conftest import Home, wait_until

SECRET = "Pl8sSecretZ93kq"


def owner_forward() -> EmailMessage:
    m = EmailMessage()
    # Where the secret travels besides To: the MTA's trace headers (in another case),
    # an RFC 2047 encoded Cc, the forward's quoted header block, a base64 attachment.
    m["Received"] = f"from mx.example.com by deputy.local for <deputy+{SECRET.upper()}@localhost>"
    m["Delivered-To"] = f"deputy+{SECRET}@localhost"
    m["From"] = "Alex Example <alex@example.com>"
    m["To"] = f"Deputy <deputy+{SECRET}@localhost>"
    encoded = base64.b64encode(f"Deputy copy <deputy+{SECRET.lower()}@localhost>".encode()).decode()
    m["Cc"] = f"=?utf-8?b?{encoded}?="
    m["Subject"] = "Fwd: Invoice 9001"
    m["Message-ID"] = "<owner-fwd-9001@example.com>"
    m["Date"] = "Wed, 25 Nov 2026 10:00:00 +0000"
    m.set_content(
        "Please handle this.\n\n---------- Forwarded message ---------\n"
        "From: Accounts Payable <ap@acme-supplies.com>\n"
        "Date: Mon, 23 Nov 2026 at 10:00\n"
        "Subject: Invoice 9001\n"
        f"To: Alex Example <alex@example.com>, deputy+{SECRET}@localhost\n"
        "Message-ID: <orig-9001@acme-supplies.com>\n\n"
        "Please find invoice 9001 attached. Total due: 120.00 EUR.\n"
    )
    m.add_attachment(
        f"forwarded by the owner via deputy+{SECRET}@localhost\n".encode(),
        maintype="application",
        subtype="octet-stream",
        filename="note.bin",
    )
    return m


def _holds_secret(path: Path) -> bool:
    data = path.read_bytes()
    if SECRET.lower().encode() in data.lower():
        return True
    if path.suffix != ".eml" and "outbox" not in path.parts:
        return False
    msg = email.message_from_bytes(data, policy=default)
    for part in msg.walk():
        if any(SECRET.lower() in str(value).lower() for value in part.values()):
            return True
        payload = part.get_payload(decode=True) if not part.is_multipart() else None
        if isinstance(payload, bytes) and SECRET.lower().encode() in payload.lower():
            return True
    return False


def test_no_copy_of_the_plus_secret_anywhere_after_an_owner_forward(home: Home) -> None:
    home.env["DEPUTY_OWNER_PLUS"] = SECRET
    home.config.write_text(home.config.read_text() + 'owner_plus_secret_env = "DEPUTY_OWNER_PLUS"\n')
    home.start()
    home.send(owner_forward())
    # The owner's forward is obeyed (the secret verified it): the supplier gets the reply.
    wait_until(home.drained, timeout=60)
    audit = [tuple(r) for r in home.query("SELECT outcome, rule, reasons FROM audit")]
    assert home.replies_to("<orig-9001@acme-supplies.com>"), (audit, home.last_log())
    assert home.stop() == 0
    files = [p for p in home.data.rglob("*") if p.is_file()]
    assert any(p.suffix == ".eml" for p in files), "no raw copy kept: nothing was checked"
    assert home.db_path in files
    leaks = [str(p.relative_to(home.root)) for p in [*files, *home.log_files] if _holds_secret(p)]
    assert leaks == [], f"the plus secret is stored in {leaks}"
    raw = next(p for p in files if p.suffix == ".eml").read_bytes()
    assert b"deputy+redacted@localhost" in raw.lower()
