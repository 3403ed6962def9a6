"""Turns approved actions into durable effects inside the event's finishing transaction.

Nothing here talks to the network: replies, files, prompts and webhooks become outbox
rows with deterministic idempotency keys (``<event id>:<index>:<action>``), so running
the same event twice after a crash inserts nothing new. Timers, memory and escalations
are written in the same transaction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import assert_never

from bot import redact
from bot.actions import (
    Action,
    Calendar,
    Escalate,
    File,
    FollowUp,
    Forward,
    HandOff,
    Ignore,
    Notify,
    Offer,
    Remember,
    Reply,
    ToolCall,
    Webhook,
    action_name,
)
from bot.delivery import OutboundMessage, message_id_for
from bot.departments import deadlines
from bot.departments.handoff import Role
from bot.effects import follow_up, handoffs
from bot.effects.calendar_rows import calendar_rows
from bot.effects.drafting import draft_parts, folder_copy, is_draft
from bot.effects.escalation import prompt_buttons, render_prompt
from bot.effects.owner_messages import OwnerRows
from bot.effects.reply_message import forward_text, reply_message
from bot.events import Event
from bot.owner import OwnerProfile
from bot.store import Drafts, Escalations, Memory, Outbox, OutboxRow, Timers, Tx, thread_key


@dataclass(frozen=True, slots=True, kw_only=True)
class Applied:
    descriptions: tuple[str, ...]
    escalation_ids: tuple[int, ...]


class Executor(OwnerRows):
    """The owner's rows (questions, notices) come from ``OwnerRows``.

    ``role``: the department this executor acts for (None: no departments declared).
    A department whose supervisor is another department asks it, not the owner."""

    role: Role | None = None

    # ----- the main entry -------------------------------------------------------------
    async def apply_in(
        self,
        tx: Tx,
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
        writes = any(isinstance(a, Reply | Offer) for a in actions)
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
                    writes=writes,
                )
            )
        result = handoffs.result_row(
            self.role,
            event,
            key_prefix=key_prefix,
            done=tuple(described),
            autonomous=autonomous,
            interim=bool(actions) and all(isinstance(a, Escalate) for a in actions),
        )
        if result is not None:
            await Outbox.add_in(tx, result)
        return Applied(descriptions=tuple(described), escalation_ids=tuple(escalations))

    async def _apply_one(
        self,
        tx: Tx,
        *,
        event: Event,
        action: Action,
        key: str,
        rule: str,
        owner: OwnerProfile,
        autonomous: bool,
        escalations: list[int],
        writes: bool = False,
    ) -> str:
        # Departments: a question goes to the supervising department first.
        action = handoffs.by_role(self.role, action, event, chain_cap=self.settings.limits.handoff_chain)
        thread = thread_key(event)
        channel_type = event.refs.get("channel_type", "")
        mail = self.channels.speaks_mail(event.channel, kind=channel_type)
        match action:
            case Reply() | Offer():
                text = action.text
                to = action.to
                auto = action.auto_submitted if isinstance(action, Reply) else True
                message = reply_message(
                    event,
                    text=text,
                    to=to,
                    key=key,
                    mail=mail or self.channels.type_capabilities(channel_type).mail,
                    owner=owner,
                    auto_submitted=auto,
                    cc=action.cc if isinstance(action, Reply) else (),
                    message_id_domain=self.settings.deputy.message_id_domain,
                )
                message = handoffs.identity(self.role, message)
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
                        recipients=(*message.to, *message.cc),
                        budget=self.settings.limits.sends_per_correspondent
                        if autonomous and not handoffs.internal((*message.to, *message.cc))
                        else None,
                    ),
                )
                return f"{action_name(action)} to {', '.join(message.to)}"
            case Forward():
                connector = event.channel if mail else self._first_mail_channel()
                if connector is None:
                    return "forward skipped: no mail channel configured"
                message = OutboundMessage(
                    to=action.to,
                    subject=f"Fwd: {event.subject}".strip(),
                    text=forward_text(event, action.note),
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
                # A secret a model echoed into a question is never shown in clear: not
                # in the stored question, not in the prompt on any channel.
                action = dataclasses.replace(action, question=redact.scrub(action.question))
                deadline_h = action.deadline_hours or self.settings.escalation.deadline_hours
                esc_id, nonce, created = await Escalations.create_in(
                    tx,
                    key=key,
                    action=action,
                    event=event,
                    thread=thread,
                    rule=rule,
                    deadline=self.clock() + deadline_h * 3600,
                )
                escalations.append(esc_id)
                if created and is_draft(action.reason):
                    recipients, text = draft_parts(action, event)
                    await Drafts.create_in(
                        tx, draft_id=esc_id, rule=rule, event_id=event.id, recipients=recipients, text=text
                    )
                    await self._folder_copy_in(tx, action, event, esc_id, owner)
                if created:
                    await self._send_prompt(
                        tx, esc_id=esc_id, nonce=nonce, action=action, event=event, key=key, owner=owner
                    )
                    await Timers.add_in(
                        tx,
                        key=f"esc-deadline:{esc_id}",
                        due_at=self.clock() + deadline_h * 3600,
                        kind="escalation_deadline",
                        payload={"escalation_id": str(esc_id)},
                    )
                    for n, hours in enumerate(self.settings.escalation.reminders_hours):
                        if hours < deadline_h:
                            await Timers.add_in(
                                tx,
                                key=f"esc-remind:{esc_id}:{n}",
                                due_at=self.clock() + hours * 3600,
                                kind="escalation_reminder",
                                payload={"escalation_id": str(esc_id), "n": str(n)},
                            )
                return f"asked the owner (#{esc_id}): {action.question}"
            case FollowUp():
                # The last line for every path an action comes by (bot.effects.follow_up).
                why = follow_up.refusal(
                    event,
                    mail=mail,
                    deputy_wrote=writes or await Outbox.has_send_in(tx, thread),
                    addresses=(*self.settings.deputy.addresses, *owner.emails),
                )
                if why is not None:
                    return f"no follow-up: {why}"
                await Timers.add_in(
                    tx,
                    key=key,
                    due_at=self.clock() + action.after_hours * 3600,
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
            case ToolCall():
                # The key travels to the server with the call (connectors/mcp/calls.py).
                await Outbox.add_in(
                    tx,
                    OutboxRow(
                        key=key,
                        event_id=event.id,
                        connector=f"mcp:{action.server}",
                        op="call",
                        payload={
                            "tool": action.tool,
                            "arguments": action.arguments,
                            "event_id": event.id,
                            # Where the result event goes: the conversation of the call.
                            "origin": {
                                "channel": event.channel,
                                "thread": event.thread,
                                "sender": event.sender,
                                "refs": dict(event.refs),
                            },
                        },
                        thread=f"mcp:{action.server}",
                        autonomous=autonomous,
                    ),
                )
                return f"call {action.full_name}"
            case HandOff():
                if self.role is None:
                    return "hand-off skipped: no departments are declared"
                row, line = handoffs.handoff_row(
                    self.role, action, event=event, key=key, autonomous=autonomous
                )
                await Outbox.add_in(tx, row)
                if action.deadline_hours:
                    # Durable, in the hand-off's own transaction: fires once, after a
                    # restart or downtime too, unless a result comes back first.
                    await Timers.add_in(tx, **deadlines.timer(self.role, action, event=event, key=key))
                    line += f" (deadline {action.deadline_hours:g} h)"
                return line
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
            case Calendar():
                for row in calendar_rows(
                    action,
                    event=event,
                    key=key,
                    owner=owner,
                    own_addresses=tuple(self.settings.deputy.addresses),
                    mail=mail,
                    domain=self.settings.deputy.message_id_domain,
                    autonomous=autonomous,
                ):
                    await Outbox.add_in(tx, row)
                return f"calendar {action.op} {action.start} {action.summary}".rstrip()
            case _:
                assert_never(action)

    async def _send_prompt(
        self,
        tx: Tx,
        *,
        esc_id: int,
        nonce: str,
        action: Escalate,
        event: Event,
        key: str,
        owner: OwnerProfile,
    ) -> None:
        text = redact.scrub(render_prompt(esc_id, action, event))
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

    async def _folder_copy_in(
        self, tx: Tx, action: Escalate, event: Event, draft_id: int, owner: OwnerProfile
    ) -> None:
        """A draft replying to mail also goes to the owner's Drafts folder, where the
        channel keeps one; the router knows its Message-ID as this draft's."""
        if not self.channels.capabilities(event.channel).drafts:
            return
        row = folder_copy(
            action, event, draft_id=draft_id, owner=owner, domain=self.settings.deputy.message_id_domain
        )
        if row is None:
            return
        await Outbox.add_in(tx, row)
        message_id = str(row.payload.get("message_id", ""))
        await Escalations.add_prompt_ref_in(
            tx, connector=event.channel, ref=message_id, escalation_id=draft_id
        )

    def _first_mail_channel(self) -> str | None:
        return next(iter(self.channels.mail_channels()), None)
