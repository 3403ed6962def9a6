"""The messages Deputy writes on an event's behalf: replies in the event's thread
(RFC 5322 3.6.4 threading for mail, the chat's own thread otherwise) and forwards.
"""

from __future__ import annotations

import dataclasses
from email.utils import getaddresses

from bot.actions import Action, Escalate, Offer, Reply
from bot.delivery import OutboundMessage, is_synthetic_message_id, message_id_for
from bot.events import Event
from bot.owner import OwnerProfile


def reply_target(event: Event) -> tuple[str, ...]:
    """Where a reply to ``event`` goes: its Reply-To addresses (RFC 5322 3.6.2), else
    its sender. Decided before the gate, which checks these like any recipient: the
    sender writes Reply-To, so it may name anyone."""
    raw = event.headers.get("reply-to", "").replace("\n", ",")
    found = tuple(dict.fromkeys(a.strip().lower() for _, a in getaddresses([raw]) if "@" in a))
    return found or ((event.sender,) if event.sender else ())


def safe_target(event: Event) -> tuple[str, ...]:
    """For a reply nobody addressed (an owner's answer, a task's message): Reply-To only
    where it stays inside the message's own participants, else the sender."""
    target = reply_target(event)
    inside = event.participants | {event.sender.lower()}
    return target if all(a.lower() in inside for a in target) else ((event.sender,) if event.sender else ())


def addressed(actions: tuple[Action, ...], target: tuple[str, ...]) -> tuple[Action, ...]:
    """Every reply and offer with its real recipients filled in (``target`` when it named
    none), also those an escalation would send on the owner's yes: the gate, the
    budget and the owner's question then all see who the message goes to."""
    out: list[Action] = []
    for action in actions:
        if isinstance(action, Reply | Offer) and not action.to and target:
            out.append(dataclasses.replace(action, to=target))
        elif isinstance(action, Escalate) and action.option_actions:
            groups = tuple(addressed(group, target) for group in action.option_actions)
            out.append(dataclasses.replace(action, option_actions=groups))
        else:
            out.append(action)
    return tuple(out)


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
    """A reply to ``event``: on mail, to ``to`` (decided before the gate; for a reply
    nobody addressed, ``safe_target``), threaded with
    In-Reply-To and References, signed, with a Message-ID derived from the outbox key so
    that a resend carries the same id; on chat, into the event's own chat thread.
    ``mail``: the event's channel speaks email (its ``Capabilities.mail``)."""
    if mail:
        target = to or safe_target(event)
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


def forward_text(event: Event, note: str) -> str:
    """A forward quotes the original inline, under the rule's note."""
    header = [
        "---------- Forwarded message ---------",
        f"From: {event.sender_name + ' ' if event.sender_name else ''}<{event.sender}>",
        f"Date: {event.received_at.isoformat()}",
        f"Subject: {event.subject}",
    ]
    return "\n".join([note, "", *header, "", event.text]).strip() + "\n"
