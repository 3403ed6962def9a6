"""The owner's plus-address secret (deputy+SECRET@...) removed from everything Deputy
keeps: the raw message written to disk, and every field of the parsed event.

The secret proves that a mail comes from the owner (connectors/email/authres.py), so it
is read once, from the message as it arrived, and never stored: a copy of it in the
Maildir, the database or a log would let anyone who reads those write as the owner.
It travels in more places than To: Delivered-To and Received headers ("for
<deputy+SECRET@...>"), an encoded-word, the quoted header block of a forward, a
base64 or quoted-printable body. Every copy becomes ``+redacted``.
"""

from __future__ import annotations

import dataclasses
import re
from email import message_from_bytes
from email.encoders import encode_base64, encode_quopri
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32

from bot.events import Event

REDACTED = "redacted"


def _pattern(secret: str) -> re.Pattern[str]:
    return re.compile(re.escape(secret), re.IGNORECASE)


def scrub_text(value: str, secret: str | None) -> str:
    """``value`` with every occurrence of the secret (any case) replaced."""
    if not secret or secret.lower() not in value.lower():
        return value
    return _pattern(secret).sub(REDACTED, value)


def scrub_raw(raw: bytes, secret: str | None, *, mime: bool = True) -> bytes:
    """The raw message with the secret gone from its bytes, and from any header or part
    whose encoding hid it (RFC 2047 encoded-words, RFC 2045 base64 and
    quoted-printable). A message that needs no change comes back as it was, byte for
    byte; ``mime=False`` (an attachment that is not a message) does the literal pass
    only."""
    if not secret:
        return raw
    needle = secret.encode("ascii", "ignore")
    out = re.sub(re.escape(needle), REDACTED.encode(), raw, flags=re.IGNORECASE)
    if not mime:
        return out
    try:
        msg = message_from_bytes(out, policy=compat32)
    except Exception:  # unparseable: the literal pass above is all we can do
        return out
    if not _hidden(msg, secret):
        return out
    _rewrite(msg, secret)
    try:
        return msg.as_bytes()
    except Exception:
        return out


def _hidden(msg: Message, secret: str) -> bool:
    """The secret survives the literal pass only inside an encoding."""
    low = secret.lower()
    for part in msg.walk():
        for _, value in part.items():
            if low in _decoded(value).lower():
                return True
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and low.encode() in payload.lower():
                return True
    return False


def _rewrite(msg: Message, secret: str) -> None:
    low = secret.lower()
    for part in msg.walk():
        for name, value in list(part.items()):
            decoded = _decoded(value)
            if low in decoded.lower():
                part.replace_header(name, scrub_text(decoded, secret))
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or low.encode() not in payload.lower():
            continue
        cleaned = re.sub(re.escape(secret.encode()), REDACTED.encode(), payload, flags=re.IGNORECASE)
        encoding = str(part.get("Content-Transfer-Encoding", "")).lower()
        del part["Content-Transfer-Encoding"]
        part.set_payload(cleaned)
        if encoding == "base64":
            encode_base64(part)
        else:
            encode_quopri(part)


def _decoded(value: object) -> str:
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:
        return str(value)


def scrub_event(event: Event, secret: str | None) -> Event:
    """Every text field of a parsed event without the secret (the subject, the body, a
    forward's quoted header block, headers, refs, display names, attachment text)."""
    if not secret:
        return event

    def s(value: str) -> str:
        return scrub_text(value, secret)

    return dataclasses.replace(
        event,
        sender_name=s(event.sender_name),
        recipients=tuple(s(r) for r in event.recipients),
        subject=s(event.subject),
        text=s(event.text),
        headers={k: s(v) for k, v in event.headers.items()},
        refs={k: s(v) for k, v in event.refs.items()},
        attachments=tuple(
            dataclasses.replace(a, filename=s(a.filename), text=s(a.text)) for a in event.attachments
        ),
        defects=tuple(s(d) for d in event.defects),
    )
