"""connectors/email/scrub.py: the owner's plus-address secret leaves no copy in a raw
message, a parsed event or a saved attachment, however it was encoded."""

from __future__ import annotations

import base64
import email
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from connectors.email.attachments import save_attachments
from connectors.email.scrub import scrub_raw, scrub_text

SECRET = "Zq81secretXw"


def _message() -> EmailMessage:
    """The secret in To, an encoded-word Cc, a quoted-printable body, a base64
    attachment and an attached message."""
    m = EmailMessage()
    m["From"] = "alex@example.com"
    m["To"] = f"deputy+{SECRET}@localhost"
    m["Cc"] = (
        "=?utf-8?b?" + base64.b64encode(f"Copy <deputy+{SECRET.upper()}@localhost>".encode()).decode() + "?="
    )
    m["Subject"] = "Fwd: hello"
    m.set_content(f"Sent to deputy+{SECRET}@localhost\n", cte="quoted-printable")
    m.add_attachment(f"deputy+{SECRET}@localhost".encode(), maintype="application", subtype="octet-stream")
    inner = EmailMessage()
    inner["To"] = f"deputy+{SECRET}@localhost"
    inner.set_content("inner")
    m.add_attachment(inner)
    return m


def _anywhere(raw: bytes) -> bool:
    if SECRET.lower().encode() in raw.lower():
        return True
    for part in email.message_from_bytes(raw, policy=default).walk():
        if any(SECRET.lower() in str(v).lower() for v in part.values()):
            return True
        payload = None if part.is_multipart() else part.get_payload(decode=True)
        if isinstance(payload, bytes) and SECRET.lower().encode() in payload.lower():
            return True
    return False


def test_every_encoded_copy_is_scrubbed() -> None:
    raw = _message().as_bytes()
    assert _anywhere(raw)
    cleaned = scrub_raw(raw, SECRET)
    assert not _anywhere(cleaned)
    parsed = email.message_from_bytes(cleaned, policy=default)
    assert "deputy+redacted@localhost" in str(parsed["To"])
    assert parsed.get_body(("plain",)).get_content().strip() == "Sent to deputy+redacted@localhost"  # type: ignore[union-attr]


def test_a_message_without_the_secret_is_kept_byte_for_byte() -> None:
    raw = _message().as_bytes()
    other = scrub_raw(raw, SECRET)  # now holds no copy: a second pass changes nothing
    assert scrub_raw(other, SECRET) == other
    assert scrub_raw(raw, None) == raw


def test_text_in_any_case() -> None:
    assert scrub_text(f"to DEPUTY+{SECRET.upper()}@x", SECRET) == "to DEPUTY+redacted@x"
    assert scrub_text("nothing here", SECRET) == "nothing here"


def test_saved_attachments_are_scrubbed(tmp_path: Path) -> None:
    saved = save_attachments(_message().as_bytes(), directory=tmp_path, message_id="<m@x>", secret=SECRET)
    assert len(saved) == 2
    assert not any(SECRET.lower().encode() in p.read_bytes().lower() for p in saved)
