"""The ``Deputy-Peer`` header: HMAC-SHA256 over what makes a mail this mail.

``Deputy-Peer: v=1; t=<unix seconds>; sig=<hex>``. The MAC covers the version, the time,
and the header fields a forger would change to reuse a signature: Message-ID, Date,
From, To, In-Reply-To, Subject, and a SHA-256 of the body text. Each field is put in a
canonical form that survives transport (folding, CRLF, quoted-printable, RFC 2047), the
same way on both sides; a field that does not survive makes the signature fail, which
is safe: the mail is then machine mail, as without peers. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from email.utils import getaddresses, parsedate_to_datetime

HEADER = "Deputy-Peer"
VERSION = "1"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PARAM = re.compile(r"\s*([a-z]+)\s*=\s*([^;\s]*)\s*")


@dataclass(frozen=True, slots=True, kw_only=True)
class MailFields:
    """The signed fields of one mail, as the sender sets them or the receiver reads them."""

    message_id: str
    date: str
    from_addr: str
    to: tuple[str, ...]
    in_reply_to: str = ""
    subject: str = ""
    body: str = ""


def canonical_body(text: str) -> str:
    """The body as both ends see it: LF line ends, no control characters, no trailing
    blanks on a line, no blank lines at the end, NFC."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    return "\n".join(line.rstrip(" \t") for line in text.split("\n")).strip("\n")


def _date(value: str) -> str:
    """A Date header as seconds since the epoch (its textual form may be rewritten)."""
    try:
        return str(int(parsedate_to_datetime(value.strip()).timestamp()))
    except (TypeError, ValueError, IndexError):
        return " ".join(value.split())


def _addresses(values: tuple[str, ...]) -> str:
    found = {a.strip().lower() for _, a in getaddresses(list(values)) if "@" in a}
    return ",".join(sorted(found))


def _msgid(value: str) -> str:
    return "".join(value.split())


def message(fields: MailFields, t: int) -> bytes:
    """What the MAC is computed over: one canonical line per field."""
    body_hash = hashlib.sha256(canonical_body(fields.body).encode("utf-8", "surrogatepass")).hexdigest()
    lines = (
        f"v={VERSION}",
        f"t={t}",
        f"message-id={_msgid(fields.message_id)}",
        f"date={_date(fields.date)}",
        f"from={_addresses((fields.from_addr,))}",
        f"to={_addresses(fields.to)}",
        f"in-reply-to={_msgid(fields.in_reply_to)}",
        f"subject={' '.join(unicodedata.normalize('NFC', fields.subject).split())}",
        f"body-sha256={body_hash}",
    )
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def sign(secret: str, fields: MailFields, *, t: int) -> str:
    mac = hmac.new(secret.encode("utf-8"), message(fields, t), hashlib.sha256).hexdigest()
    return f"v={VERSION}; t={t}; sig={mac}"


def parse(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in value.split(";"):
        found = _PARAM.fullmatch(part)
        if found:
            out.setdefault(found[1], found[2])
    return out


def verify(secret: str, value: str, fields: MailFields, *, now: float, max_age: float) -> str | None:
    """None when ``value`` signs ``fields`` with ``secret`` within ``max_age`` seconds of
    ``now``; otherwise why not (for the log). Compared in constant time."""
    params = parse(value)
    if params.get("v") != VERSION:
        return f"unknown version {params.get('v', '(none)')!r}"
    t_raw, sig = params.get("t", ""), params.get("sig", "")
    if not t_raw.isdigit() or not re.fullmatch(r"[0-9a-f]{64}", sig):
        return "malformed header"
    t = int(t_raw)
    if abs(now - t) > max_age:
        return f"signed {int(now - t)} s from its arrival, outside the {int(max_age)} s window"
    expected = hmac.new(secret.encode("utf-8"), message(fields, t), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig):
        return "signature does not match"
    return None
