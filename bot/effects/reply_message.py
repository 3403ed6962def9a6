"""The messages Deputy writes on an event's behalf: replies in the event's thread
(RFC 5322 3.6.4 threading for mail, the chat's own thread otherwise) and forwards.
"""

from __future__ import annotations

from email.utils import parseaddr

from bot.delivery import OutboundMessage, is_synthetic_message_id, message_id_for
from bot.events import Event
from bot.owner import OwnerProfile


def reply_subject(subject: str) -> str:
    return subject if subject[:3].lower() == "re:" else f"Re: {subject}".strip()


def reply_message(
    event: Event,
    *,
    text: str,
    to: tuple[str, ...],
    cc: tuple[str, ...],
    key: str,
    mail: bool,
    owner: OwnerProfile,
    auto_submitted: bool,
    message_id_domain: str,
) -> OutboundMessage:
    """A reply to ``event``: on mail, to Reply-To (else the sender), threaded with
    In-Reply-To and References, signed, with a Message-ID derived from the outbox key so
    that a resend carries the same id; on chat, into the event's own chat thread.
    ``mail``: the event's channel speaks email (its ``Capabilities.mail``)."""
    if mail:
        reply_to = event.headers.get("reply-to", "").strip()
        target = to or ((_address(reply_to),) if reply_to and "@" in reply_to else (event.sender,))
        body = text
        if owner.signature and owner.signature not in body:
            body = f"{body}\n\n{owner.signature}"
        message_id = event.refs.get("message_id", "")
        if is_synthetic_message_id(message_id):
            message_id = ""  # the original had none: nothing to thread to (RFC 5322 3.6.4)
        references = tuple(event.refs.get("references", "").split()) + ((message_id,) if message_id else ())
        return OutboundMessage(
            to=target,
            cc=cc,
            # A conversation a task opens (bot/tasks/runner.py) starts with its own subject.
            subject=event.subject if event.refs.get("task_opening") else reply_subject(event.subject),
            text=body,
            thread=event.thread,
            message_id=message_id_for(key, domain=message_id_domain),
            in_reply_to=message_id,
            references=references,
            auto_submitted=auto_submitted,
        )
    return OutboundMessage(
        to=to or (event.sender,),
        text=text,
        thread=event.thread,
        refs=dict(event.refs),
    )


def _address(value: str) -> str:
    return parseaddr(value)[1].lower()


def forward_text(event: Event, note: str) -> str:
    """A forward quotes the original inline, under the rule's note."""
    header = [
        "---------- Forwarded message ---------",
        f"From: {event.sender_name + ' ' if event.sender_name else ''}<{event.sender}>",
        f"Date: {event.received_at.isoformat()}",
        f"Subject: {event.subject}",
    ]
    return "\n".join([note, "", *header, "", event.text]).strip() + "\n"
