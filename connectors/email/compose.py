"""OutboundMessage -> RFC 5322 message, built only from validated strings.

Every header value is checked for CR, LF and NUL before it reaches the email
package: Python 3.11 before 3.11.10 will happily serialise an embedded newline,
which would let a subject or a display name taken from inbound mail add headers
(header injection). Addresses must be plain addr-specs; Message-IDs must be
``<id>`` tokens (RFC 5322 3.6.4).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses

from bot.channels.contract import SignMail
from bot.delivery import OutboundMessage
from bot.peers.signature import HEADER as PEER_HEADER
from bot.peers.signature import MailFields
from connectors.email.addresses import is_valid_addr_spec
from connectors.email.text import has_line_break

_MSGID = re.compile(r"^<[!-;=?-~]{1,250}@[!-;=?-~]{1,250}>$")  # printable, no < > or space
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw|vs)\s*(\[\d+\])?\s*:", re.IGNORECASE)


class ComposeError(ValueError):
    """The message cannot be built safely (bad address or Message-ID)."""


_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def single_line(value: str) -> str:
    """One line of plain text, safe as a header value.

    Strips CR/LF/NUL and other controls, and first decodes RFC 2047 encoded-words
    the way the email package will when the header is stored: otherwise
    ``=?utf-8?q?Hi=0D=0ABcc=3A_x?=`` decodes to a CRLF *after* our check and the
    generator writes a real ``Bcc:`` line (seen on CPython 3.11.7). Repeated until
    stable because a decoded value may itself contain an encoded-word.
    """
    text = value
    for _ in range(8):
        flat = " ".join(_CONTROLS.sub(" ", text).split())
        try:
            decoded = str(policy.default.header_factory("subject", flat))
        except Exception:
            decoded = flat
        decoded = " ".join(_CONTROLS.sub(" ", decoded).split())
        if decoded == text:
            break
        text = decoded
    return text


def _address(value: str, *, what: str) -> Address:
    if has_line_break(value):
        raise ComposeError(f"{what}: line break in address")
    pairs = getaddresses([value])
    if len(pairs) != 1:
        raise ComposeError(f"{what}: expected one address, got {value!r}")
    name, spec = pairs[0]
    spec = spec.strip()
    if not is_valid_addr_spec(spec):
        raise ComposeError(f"{what}: not a valid address: {value!r}")
    local, _, domain = spec.rpartition("@")
    return Address(display_name=single_line(name), username=local, domain=domain)


def _msgid(value: str, *, what: str) -> str:
    value = value.strip()
    if has_line_break(value) or not _MSGID.match(value):
        raise ComposeError(f"{what}: not a valid Message-ID: {value!r}")
    return value


def reply_subject(subject: str) -> str:
    """ "Re: " once (RFC 5322 3.6.5), whatever the case or a localised prefix."""
    subject = single_line(subject)
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}".rstrip()


def compose(
    msg: OutboundMessage,
    *,
    from_addr: str,
    from_name: str = "",
    date: datetime | None = None,
    sign: SignMail | None = None,
) -> EmailMessage:
    """``sign``: the runtime's peer signer, given the final header values."""
    if not msg.to:
        raise ComposeError("no recipient")
    if not msg.message_id:
        raise ComposeError("a deterministic Message-ID is required")
    out = EmailMessage(policy=policy.SMTP)
    sender = _address(from_addr, what="from")
    out["From"] = Address(display_name=single_line(from_name), username=sender.username, domain=sender.domain)
    out["To"] = [_address(a, what="to") for a in msg.to]
    if msg.cc:
        out["Cc"] = [_address(a, what="cc") for a in msg.cc]
    subject = reply_subject(msg.subject) if msg.in_reply_to else single_line(msg.subject)
    out["Subject"] = subject
    out["Date"] = format_datetime(date or datetime.now(UTC))
    out["Message-ID"] = _msgid(msg.message_id, what="message_id")
    if msg.in_reply_to:
        out["In-Reply-To"] = _msgid(msg.in_reply_to, what="in_reply_to")
    refs = [_msgid(r, what="references") for r in msg.references if r]
    if msg.in_reply_to and msg.in_reply_to not in refs:
        refs.append(msg.in_reply_to)  # RFC 5322 3.6.4: parent's References + its id
    if refs:
        out["References"] = " ".join(refs)
    if msg.auto_submitted:
        out["Auto-Submitted"] = "auto-replied"  # RFC 3834 5.1
        out["X-Auto-Response-Suppress"] = "All"  # keeps Exchange OOF replies away
    out.set_content(msg.text or "", subtype="plain", charset="utf-8")
    if msg.html:
        out.add_alternative(msg.html, subtype="html", charset="utf-8")
    if msg.calendar:
        _attach_calendar(out, msg.calendar)
    if sign is not None:
        _sign(out, msg, sign)
    _check_round_trip(out)
    return out


def _sign(out: EmailMessage, msg: OutboundMessage, sign: SignMail) -> None:
    """The Deputy-Peer header over the values just set (bot/peers/signature.py)."""
    value = sign(
        MailFields(
            message_id=str(out["Message-ID"]),
            date=str(out["Date"]),
            from_addr=str(out["From"]),
            to=(str(out["To"]),) if out["To"] else (),
            in_reply_to=str(out["In-Reply-To"] or ""),
            subject=str(out["Subject"] or ""),
            body=msg.text or "",
        )
    )
    if value:
        out[PEER_HEADER] = single_line(value)


def _attach_calendar(out: EmailMessage, calendar: str) -> None:
    """RFC 6047 2.4: the iTIP object as text/calendar with its METHOD as a parameter,
    so that mail clients show Accept/Decline buttons (or the invitation as answered)."""
    found = re.search(r"(?im)^METHOD:([A-Z-]+)\s*$", calendar)
    method = found.group(1).upper() if found else "PUBLISH"
    out.add_attachment(
        calendar.encode("utf-8"),
        maintype="text",
        subtype="calendar",
        params={"method": method, "charset": "utf-8"},
        filename="invite.ics",
    )


def _check_round_trip(out: EmailMessage) -> None:
    """Belt and braces: the bytes we would send must parse back to exactly the headers
    we set; anything else is an injection we failed to foresee."""
    wanted = sorted(k.lower() for k in out.keys())
    reparsed = BytesParser(policy=policy.default).parsebytes(out.as_bytes(policy=policy.SMTP))
    if sorted(k.lower() for k in reparsed.keys()) != wanted:
        raise ComposeError("header set changed on serialisation: refusing to send")


def compose_bytes(
    msg: OutboundMessage,
    *,
    from_addr: str,
    from_name: str = "",
    date: datetime | None = None,
    sign: SignMail | None = None,
) -> bytes:
    """Wire form with CRLF line ends (RFC 5321 4.1.1.4)."""
    composed = compose(msg, from_addr=from_addr, from_name=from_name, date=date, sign=sign)
    return composed.as_bytes(policy=policy.SMTP)
