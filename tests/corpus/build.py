"""Builders for the outcome corpus: raw RFC 5322 bytes made with the stdlib, the way
real clients shape them (plain, HTML-only, multipart/alternative, PDF and calendar
parts, forwarded chains, delivery reports), so that the corpus goes through the email
connector's real parser rather than through hand-made Events."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr
from typing import Any

from tests.facts.pdfs import make_pdf

DEPUTY = "deputy@localhost"
DATE = "Mon, 01 Mar 2027 09:00:00 +0100"

# What Deputy may do to a message, as seen from outside: a mail to the sender, a forward
# to a third party, filing, a question to the owner. The empty set is "does nothing".
Effect = str  # "reply" | "forward" | "file" | "ask"


@dataclass(frozen=True)
class Case:
    """One message and what must come of it under the shipped rulebook.

    ``facts`` keys: ``due`` ((value, currency) or None), ``change`` (announces new
    payment details), ``changed`` (details differ from those on file), ``auto``,
    ``offer`` (value or None), ``invite`` (iTIP method). ``before`` is earlier mail of
    the same correspondent (payment details on file, a thread Deputy wrote in).
    ``wrong`` names a behaviour the current code gets wrong: the expectation stays what
    a careful deputy would do, and the case is marked xfail (strict) with that note."""

    name: str
    category: str
    raw: bytes
    rule: str
    does: frozenset[Effect]
    facts: dict[str, Any] = field(default_factory=dict)
    before: tuple[bytes, ...] = ()
    wrong: str = ""

    @property
    def message_id(self) -> str:
        return f"<{self.name}@corpus.test>"


def _wire(msg: EmailMessage | MIMEMultipart) -> bytes:
    """The bytes as they travel (RFC 5321 and 5322 end every line with CRLF): an SMTP
    server reads lines up to CRLF, so bare LF would make one over-long line."""
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def _head(
    msg: EmailMessage | MIMEMultipart | MIMEText,
    *,
    name: str,
    sender: str,
    subject: str,
    to: str,
    headers: dict[str, str] | None,
    reply_to_mid: str = "",
) -> None:
    display, _, address = sender.rpartition(" <")
    msg["From"] = formataddr((display, address.rstrip(">"))) if address else sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = DATE
    msg["Message-ID"] = f"<{name}@corpus.test>"
    if reply_to_mid:
        msg["In-Reply-To"] = reply_to_mid
        msg["References"] = reply_to_mid
    for key, value in (headers or {}).items():
        msg[key] = value


def plain(
    name: str,
    sender: str,
    subject: str,
    text: str,
    *,
    to: str = DEPUTY,
    headers: dict[str, str] | None = None,
    reply_to_mid: str = "",
    pdf: list[list[str]] | None = None,
    pdf_name: str = "invoice.pdf",
    attach: tuple[str, bytes, str] | None = None,
) -> bytes:
    """A text/plain mail, optionally with a PDF (the hand-written writer) or another
    attachment ``(filename, data, mime type)``."""
    msg = EmailMessage()
    _head(msg, name=name, sender=sender, subject=subject, to=to, headers=headers, reply_to_mid=reply_to_mid)
    msg.set_content(text)
    if pdf is not None:
        msg.add_attachment(make_pdf(pdf), maintype="application", subtype="pdf", filename=pdf_name)
    if attach is not None:
        filename, data, ctype = attach
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return _wire(msg)


def html_only(
    name: str,
    sender: str,
    subject: str,
    html: str,
    *,
    to: str = DEPUTY,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A text/html mail with no plain part: what many invoicing tools send."""
    msg = EmailMessage()
    _head(msg, name=name, sender=sender, subject=subject, to=to, headers=headers)
    msg.set_content(html, subtype="html")
    return _wire(msg)


def alternative(
    name: str,
    sender: str,
    subject: str,
    text: str,
    html: str,
    *,
    to: str = DEPUTY,
    headers: dict[str, str] | None = None,
    pdf: list[list[str]] | None = None,
) -> bytes:
    """multipart/alternative (text + HTML), wrapped in multipart/mixed with a PDF when
    one is given: the shape of Outlook, Gmail and most billing systems."""
    alt = MIMEMultipart("alternative")
    alt.attach(MIMEText(text, "plain", "utf-8"))
    alt.attach(MIMEText(html, "html", "utf-8"))
    outer: MIMEMultipart = alt
    if pdf is not None:
        outer = MIMEMultipart("mixed")
        outer.attach(alt)
        part = MIMEApplication(make_pdf(pdf), "pdf")
        part.add_header("Content-Disposition", "attachment", filename="invoice.pdf")
        outer.attach(part)
    _head(outer, name=name, sender=sender, subject=subject, to=to, headers=headers)
    return _wire(outer)


def invite(
    name: str,
    sender: str,
    subject: str,
    text: str,
    *,
    method: str = "REQUEST",
    summary: str = "",
    start: str = "20270310T140000Z",
    to: str = DEPUTY,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A calendar invitation as Google and Outlook send it: multipart/mixed with the
    text and an iTIP text/calendar part (RFC 5545 / RFC 5546)."""
    organizer = sender.rpartition("<")[2].rstrip(">") or sender
    ics = (
        "BEGIN:VCALENDAR\r\nPRODID:-//Corpus//EN\r\nVERSION:2.0\r\n"
        f"METHOD:{method}\r\nBEGIN:VEVENT\r\nUID:{name}@corpus.test\r\n"
        f"DTSTART:{start}\r\nDTEND:{start[:9]}150000Z\r\nSUMMARY:{summary or subject}\r\n"
        f"ORGANIZER;CN=Organizer:mailto:{organizer}\r\n"
        f"ATTENDEE;RSVP=TRUE:mailto:{DEPUTY}\r\n"
        f"STATUS:{'CANCELLED' if method == 'CANCEL' else 'CONFIRMED'}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    outer = MIMEMultipart("mixed")
    alt = MIMEMultipart("alternative")
    alt.attach(MIMEText(text, "plain", "utf-8"))
    cal = MIMEText(ics, "calendar", "utf-8")
    cal.set_param("method", method)
    alt.attach(cal)
    outer.attach(alt)
    _head(outer, name=name, sender=sender, subject=subject, to=to, headers=headers)
    return _wire(outer)


def forwarded(
    name: str,
    sender: str,
    subject: str,
    note: str,
    *,
    orig_from: str,
    orig_subject: str,
    orig_text: str,
    to: str = DEPUTY,
) -> bytes:
    """A colleague's inline forward (Gmail style "---------- Forwarded message")."""
    text = (
        f"{note}\n\n---------- Forwarded message ---------\nFrom: {orig_from}\n"
        f"Date: Fri, 26 Feb 2027 at 16:02\nSubject: {orig_subject}\n"
        f"To: <accounts@example.com>\n\n{orig_text}\n"
    )
    return plain(name, sender, subject, text, to=to)


def bounce(name: str, subject: str, original_mid: str, recipient: str) -> bytes:
    """A delivery status notification (RFC 3464, multipart/report)."""
    outer = MIMEMultipart("report", report_type="delivery-status")
    outer.attach(
        MIMEText(
            f"This is the mail system at host mx.corpus.test.\n\nI'm sorry to have to inform you that your"
            f" message could not be delivered to {recipient}.\n\n<{recipient}>: 550 5.1.1 user unknown\n"
        )
    )
    status = MIMEText(
        f"Reporting-MTA: dns; mx.corpus.test\n\nFinal-Recipient: rfc822; {recipient}\nAction: failed\n"
        "Status: 5.1.1\n",
        "delivery-status",
    )
    outer.attach(status)
    headers = {"Auto-Submitted": "auto-replied", "In-Reply-To": original_mid}
    _head(
        outer,
        name=name,
        sender="Mail Delivery System <MAILER-DAEMON@mx.corpus.test>",
        subject=subject,
        to=DEPUTY,
        headers=headers,
    )
    return _wire(outer)
