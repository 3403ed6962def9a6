"""Turns approved actions into durable effects inside the event's finishing transaction.

Nothing here talks to the network: replies, files, prompts and webhooks become outbox
rows with deterministic idempotency keys (``<event id>:<index>:<action>``), so running
the same event twice after a crash inserts nothing new. Timers, memory and escalations
are written in the same transaction.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import assert_never

import aiosqlite

from bot.actions import (
    Action,
    Escalate,
    File,
    FollowUp,
    Forward,
    Ignore,
    Notify,
    Offer,
    Remember,
    Reply,
    Webhook,
    action_name,
)
from bot.config import Settings
from bot.delivery import OutboundMessage, message_id_for
from bot.escalation import prompt_buttons, render_prompt
from bot.events import Event
from bot.owner import OwnerProfile
from bot.quiet_hours import quiet_until
from bot.store import Escalations, Memory, Outbox, OutboxRow, Timers, thread_key

MAIL_TYPES = frozenset({"email", "local"})
PROMPT_TYPES = frozenset({"telegram", "slack", "cli"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Applied:
    descriptions: tuple[str, ...]
    escalation_ids: tuple[int, ...]


def reply_subject(subject: str) -> str:
    return subject if subject[:3].lower() == "re:" else f"Re: {subject}".strip()


class Executor:
    def __init__(self, *, settings: Settings, channel_types: dict[str, str]) -> None:
        self.settings = settings
        self.channel_types = dict(channel_types)  # connector name -> connector type

    # ----- owner addressing -------------------------------------------------------
    def owner_channel(self, owner: OwnerProfile, *, skip: tuple[str, ...] = ()) -> str:
        for name in (owner.preferred_channel, *owner.fallback_channels):
            if name in self.channel_types and name not in skip:
                return name
        return "cli"

    def _owner_delivery(
        self,
        *,
        owner: OwnerProfile,
        key: str,
        event_id: str,
        text: str,
        subject: str,
        escalation_id: int | None = None,
        buttons: tuple = (),
        channel: str | None = None,
    ) -> OutboxRow:
        name = channel or self.owner_channel(owner)
        kind = self.channel_types.get(name, "cli")
        # Unsolicited questions and notices wait out the quiet hours; an answer on the
        # channel the owner just used does not (the owner is evidently awake).
        hold = quiet_until(owner, now=time.time()) if channel is None and kind != "cli" else 0.0
        if kind in MAIL_TYPES and owner.emails:
            message = OutboundMessage(
                to=(owner.emails[0],),
                subject=subject,
                text=text,
                message_id=message_id_for(key, domain=self.settings.deputy.message_id_domain),
                auto_submitted=True,
                thread=f"deputy-owner-{escalation_id or 'notice'}",
            )
            return OutboxRow(
                key=key,
                event_id=event_id,
                connector=name,
                op="send",
                payload=message.to_payload(),
                thread=f"owner:{name}",
                recipient=owner.emails[0],
                autonomous=False,
                escalation_id=escalation_id,
                not_before=hold,
            )
        if kind not in PROMPT_TYPES and kind not in MAIL_TYPES:
            name = "cli"
        payload: dict[str, object] = {
            "escalation_id": escalation_id,
            "text": text,
            "subject": subject,
            "buttons": [{"label": b.label, "data": b.data} for b in buttons],
        }
        return OutboxRow(
            key=key,
            event_id=event_id,
            connector=name if name in self.channel_types else "cli",
            op="prompt",
            payload=payload,
            thread=f"owner:{name}",
            recipient="owner",
            autonomous=False,
            escalation_id=escalation_id,
            not_before=hold,
        )

    # ----- the main entry -------------------------------------------------------------
    async def apply_in(
        self,
        tx: aiosqlite.Connection,
        *,
        event: Event,
        actions: tuple[Action, ...],
        key_prefix: str,
        rule: str,
        owner: OwnerProfile,
        autonomous: bool,
    ) -> Applied:
        described: list[str] = []
        escalations: list[int] = []
        for index, action in enumerate(actions):
            key = f"{key_prefix}:{index}:{action_name(action)}"
            described.append(
                await self._apply_one(
                    tx,
                    event=event,
                    action=action,
                    key=key,
                    rule=rule,
                    owner=owner,
                    autonomous=autonomous,
                    escalations=escalations,
                )
            )
        return Applied(descriptions=tuple(described), escalation_ids=tuple(escalations))

    async def _apply_one(
        self,
        tx: aiosqlite.Connection,
        *,
        event: Event,
        action: Action,
        key: str,
        rule: str,
        owner: OwnerProfile,
        autonomous: bool,
        escalations: list[int],
    ) -> str:
        thread = thread_key(event)
        kind = self.channel_types.get(event.channel, event.refs.get("channel_type", ""))
        match action:
            case Reply() | Offer():
                text = action.text
                to = action.to if isinstance(action, Reply) and action.to else ()
                auto = action.auto_submitted if isinstance(action, Reply) else True
                message = self._reply_message(
                    event,
                    text=text,
                    to=to,
                    key=key,
                    kind=kind,
                    owner=owner,
                    auto_submitted=auto,
                    cc=action.cc if isinstance(action, Reply) else (),
                )
                await Outbox.add_in(
                    tx,
                    OutboxRow(
                        key=key,
                        event_id=event.id,
                        connector=event.channel,
                        op="send",
                        payload=message.to_payload(),
                        thread=thread,
                        recipient=message.to[0] if message.to else "",
                        autonomous=autonomous,
                    ),
                )
                return f"{action_name(action)} to {', '.join(message.to)}"
            case Forward():
                connector = event.channel if kind in MAIL_TYPES else self._first_mail_channel()
                if connector is None:
                    return "forward skipped: no mail channel configured"
                message = OutboundMessage(
                    to=action.to,
                    subject=f"Fwd: {event.subject}".strip(),
                    text=_forward_text(event, action.note),
                    message_id=message_id_for(key, domain=self.settings.deputy.message_id_domain),
                    auto_submitted=True,
                    refs={k: v for k, v in event.refs.items() if k in {"path", "uid", "mailbox"}},
                )
                await Outbox.add_in(
                    tx,
                    OutboxRow(
                        key=key,
                        event_id=event.id,
                        connector=connector,
                        op="send",
                        payload=message.to_payload(),
                        thread=f"fwd:{thread}",
                        recipient=action.to[0],
                        autonomous=autonomous,
                    ),
                )
                return f"forward to {', '.join(action.to)}"
            case File():
                payload = {
                    "folder": action.folder,
                    "flags": list(action.flags),
                    "save_attachments": action.save_attachments,
                    **{
                        k: v
                        for k, v in event.refs.items()
                        if k in {"uid", "mailbox", "uidvalidity", "message_id", "path"}
                    },
                }
                await Outbox.add_in(
                    tx,
                    OutboxRow(
                        key=key,
                        event_id=event.id,
                        connector=event.channel,
                        op="file",
                        payload=payload,
                        thread=thread,
                        autonomous=autonomous,
                    ),
                )
                return f"file into {action.folder}"
            case Ignore():
                return f"ignore ({action.reason})" if action.reason else "ignore"
            case Escalate():
                deadline_h = action.deadline_hours or self.settings.escalation.deadline_hours
                esc_id, nonce, created = await Escalations.create_in(
                    tx,
                    key=key,
                    action=action,
                    event=event,
                    thread=thread,
                    rule=rule,
                    deadline=time.time() + deadline_h * 3600,
                )
                escalations.append(esc_id)
                if created:
                    await self._send_prompt(
                        tx, esc_id=esc_id, nonce=nonce, action=action, event=event, key=key, owner=owner
                    )
                    await Timers.add_in(
                        tx,
                        key=f"esc-deadline:{esc_id}",
                        due_at=time.time() + deadline_h * 3600,
                        kind="escalation_deadline",
                        payload={"escalation_id": str(esc_id)},
                    )
                    for n, hours in enumerate(self.settings.escalation.reminders_hours):
                        if hours < deadline_h:
                            await Timers.add_in(
                                tx,
                                key=f"esc-remind:{esc_id}:{n}",
                                due_at=time.time() + hours * 3600,
                                kind="escalation_reminder",
                                payload={"escalation_id": str(esc_id), "n": str(n)},
                            )
                return f"asked the owner (#{esc_id}): {action.question}"
            case FollowUp():
                await Timers.add_in(
                    tx,
                    key=key,
                    due_at=time.time() + action.after_hours * 3600,
                    kind="follow_up",
                    payload={
                        "channel": event.channel,
                        "thread": event.thread,
                        "event_id": event.id,
                        "note": action.note,
                        "rule": rule,
                    },
                )
                return f"follow up in {action.after_hours:g} h"
            case Remember():
                await Memory.add_in(tx, subject=action.subject, fact=action.fact, source=event.id)
                return f"remember about {action.subject}: {action.fact}"
            case Webhook():
                await Outbox.add_in(
                    tx,
                    OutboxRow(
                        key=key,
                        event_id=event.id,
                        connector="webhook",
                        op="send",
                        payload={"url": action.url, "payload": action.payload},
                        thread=f"webhook:{action.url}",
                        autonomous=autonomous,
                    ),
                )
                return f"webhook {action.url}"
            case Notify():
                await Outbox.add_in(
                    tx,
                    self._owner_delivery(
                        owner=owner,
                        key=key,
                        event_id=event.id,
                        text=action.text,
                        subject="Deputy: " + action.text.splitlines()[0][:80] if action.text else "Deputy",
                        channel=action.channel if action.channel in self.channel_types else None,
                    ),
                )
                return "told the owner"
            case _:
                assert_never(action)

    async def _send_prompt(
        self,
        tx: aiosqlite.Connection,
        *,
        esc_id: int,
        nonce: str,
        action: Escalate,
        event: Event,
        key: str,
        owner: OwnerProfile,
    ) -> None:
        text = render_prompt(esc_id, action, event)
        row = self._owner_delivery(
            owner=owner,
            key=f"{key}:prompt",
            event_id=event.id,
            text=text,
            subject=f"[Deputy #{esc_id}] {event.subject or action.question}"[:200],
            escalation_id=esc_id,
            buttons=prompt_buttons(esc_id, nonce, action),
        )
        await Outbox.add_in(tx, row)
        message_id = row.payload.get("message_id")
        if isinstance(message_id, str) and message_id:
            # Email prompts: an owner's reply carries In-Reply-To with this id (RFC 5322 3.6.4).
            await Escalations.add_prompt_ref_in(
                tx, connector=row.connector, ref=message_id, escalation_id=esc_id
            )
        await Escalations.add_prompt_ref_in(tx, connector="cli", ref=str(esc_id), escalation_id=esc_id)

    async def owner_notice_in(
        self,
        tx: aiosqlite.Connection,
        *,
        owner: OwnerProfile,
        key: str,
        event_id: str,
        text: str,
        channel: str | None = None,
        escalation_id: int | None = None,
    ) -> None:
        await Outbox.add_in(
            tx,
            self._owner_delivery(
                owner=owner,
                key=key,
                event_id=event_id,
                text=text,
                subject="Deputy: " + text.splitlines()[0][:80],
                channel=channel,
                escalation_id=None if escalation_id is None else escalation_id,
            ),
        )

    def update_prompt_row(
        self, *, key: str, event_id: str, connector: str, ref: str, text: str, receipt: str | None = None
    ) -> OutboxRow:
        """Edit a chat prompt to show the outcome; the prompt's receipt carries its address."""
        payload: dict[str, object] = {}
        if receipt:
            payload.update({k: v for k, v in json.loads(receipt).items() if k in ("chat_id", "channel")})
        payload.update({"prompt_ref": ref, "text": text})
        return OutboxRow(
            key=key,
            event_id=event_id,
            connector=connector,
            op="update_prompt",
            payload=payload,
            thread=f"owner:{connector}",
            recipient="owner",
            autonomous=False,
        )

    def _first_mail_channel(self) -> str | None:
        return next((n for n, t in self.channel_types.items() if t in MAIL_TYPES), None)

    def _reply_message(
        self,
        event: Event,
        *,
        text: str,
        to: tuple[str, ...],
        cc: tuple[str, ...],
        key: str,
        kind: str,
        owner: OwnerProfile,
        auto_submitted: bool,
    ) -> OutboundMessage:
        if kind in MAIL_TYPES or event.refs.get("channel_type") in MAIL_TYPES:
            reply_to = event.headers.get("reply-to", "").strip()
            target = to or ((_address(reply_to),) if reply_to and "@" in reply_to else (event.sender,))
            body = text
            if owner.signature and owner.signature not in body:
                body = f"{body}\n\n{owner.signature}"
            message_id = event.refs.get("message_id", "")
            references = tuple(event.refs.get("references", "").split()) + (
                (message_id,) if message_id else ()
            )
            return OutboundMessage(
                to=target,
                cc=cc,
                # A conversation a task opens (bot/task_runner.py) starts with its own subject.
                subject=event.subject if event.refs.get("task_opening") else reply_subject(event.subject),
                text=body,
                thread=event.thread,
                message_id=message_id_for(key, domain=self.settings.deputy.message_id_domain),
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
    from email.utils import parseaddr

    return parseaddr(value)[1].lower()


def _forward_text(event: Event, note: str) -> str:
    header = [
        "---------- Forwarded message ---------",
        f"From: {event.sender_name + ' ' if event.sender_name else ''}<{event.sender}>",
        f"Date: {event.received_at.isoformat()}",
        f"Subject: {event.subject}",
    ]
    return "\n".join([note, "", *header, "", event.text]).strip() + "\n"
