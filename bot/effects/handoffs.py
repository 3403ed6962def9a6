"""The outbox rows of departments (bot/departments): a hand-off, the result a delegated
conversation sends back, a question by role, and a department's From identity.

Kept out of the executor so that it stays one noun; the executor calls these with the
``Role`` of the department it acts for (None: no departments, and nothing here runs).
"""

from __future__ import annotations

import dataclasses

from bot import redact
from bot.actions import Action, Escalate, HandOff
from bot.delivery import OutboundMessage
from bot.departments import handoff
from bot.departments.handoff import Role
from bot.events import Event
from bot.store import OutboxRow, thread_key


def by_role(role: Role | None, action: Action, event: Event, *, chain_cap: int) -> Action:
    """An escalation asks the supervising department while the chain is below the cap;
    otherwise it goes to the owner, naming the chain it came through."""
    if role is None or not isinstance(action, Escalate):
        return action
    chain = handoff.chain_of(event)
    if role.supervisor != "owner" and len(chain) + 1 < chain_cap:
        because = (action.reason, f"blocked by {action.blocked_by}" if action.blocked_by else "")
        return HandOff(
            to=role.supervisor,
            objective=redact.scrub(action.question),
            constraints=tuple(c for c in because if c),
            kind="question",
        )
    if chain[-1:] != (role.name,):
        chain = (*chain, role.name)
    return dataclasses.replace(
        action, question=f"{action.question}\n(asked by {' -> '.join((*chain, 'owner'))})"
    )


def handoff_row(
    role: Role, action: HandOff, *, event: Event, key: str, autonomous: bool
) -> tuple[OutboxRow, str]:
    """The row the departments channel delivers as the target's inbox event, and the
    audit line for it."""
    contract = handoff.payload(action, event=event, sender=role.name)
    row = OutboxRow(
        key=key,
        event_id=event.id,
        connector=handoff.CHANNEL,
        op="send",
        payload=contract,
        thread=f"handoff-out:{thread_key(event)}",
        recipient=handoff.address_of(action.to),
        autonomous=autonomous,
    )
    path = " -> ".join([*contract["handoff"]["chain"], action.to])
    verb = handoff.ASKED if action.kind == "question" else handoff.HANDED
    return row, f"{verb}{action.to} ({path}): {action.objective}"


def result_row(
    role: Role | None,
    event: Event,
    *,
    key_prefix: str,
    done: tuple[str, ...],
    autonomous: bool,
    interim: bool = False,
) -> OutboxRow | None:
    """For a conversation handed to this department: what it did, for the sender, in the
    transaction that did it (exactly once)."""
    if role is None or handoff.delegated_to(event) != role.name:
        return None
    return OutboxRow(
        key=f"{key_prefix}:result",
        event_id=event.id,
        connector=handoff.CHANNEL,
        op="send",
        payload=handoff.result_payload(event, department=role.name, done=done, interim=interim),
        thread=f"handoff-result:{thread_key(event)}",
        recipient=handoff.address_of(event.refs.get("handoff_from", "")),
        autonomous=autonomous,
    )


def internal(recipients: tuple[str, ...]) -> bool:
    """Only departments' internal addresses: work inside the organisation, which the send
    budget (a guard for people and other bots) does not count."""
    return bool(recipients) and all(handoff.department_of_address(a) for a in recipients)


def identity(role: Role | None, message: OutboundMessage) -> OutboundMessage:
    """A department's mail goes out From its own address and name."""
    if role is None or not role.address or not message.message_id:
        return message
    return dataclasses.replace(message, from_addr=role.address, from_name=role.from_name)
