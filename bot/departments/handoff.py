"""A hand-off as data: the outbox payload a department writes, and the one inbox event
the target department gets from it (and the result event that comes back).

Everything is derived from the outbox row's idempotency key, so delivering the same row
twice (a crash between the inbox commit and the row's "sent") builds the same event id,
which the inbox ignores the second time: exactly one event at the target.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.actions import HandOff
from bot.events import Event

CHANNEL = "departments"  # the internal channel hand-offs travel on
DOMAIN = "departments.invalid"  # RFC 2606: no real mail can come from these addresses


@dataclass(frozen=True, slots=True, kw_only=True)
class Role:
    """Who a department is in the organisation: what its executor needs to hand off
    and to ask upwards."""

    name: str
    supervisor: str  # a department, or "owner"
    chain_to_owner: tuple[str, ...]  # itself, its supervisors, then "owner"
    address: str = ""  # its From address on mail (one of Deputy's own addresses), "" = the channel's
    from_name: str = ""


HANDED = "handed off to "  # how the audit words a hand-off (bot/effects/executor.py)
ASKED = "asked "  # ... and a question to a supervising department
OVERDUE = "hand-off overdue: "  # ... a hand-off past its deadline (bot/departments/deadlines.py)
LATE = "late result of hand-off "  # ... and its result, come after the deadline


def is_handoff_line(action: str) -> bool:
    """An audit line that moved work between departments, or says a hand-off is overdue
    or its result late (the digest lists them)."""
    if action.startswith((HANDED, OVERDUE, LATE)):
        return True
    return action.startswith(ASKED) and " -> " in action.split(":", 1)[0]


def address_of(department: str) -> str:
    return f"{department}@{DOMAIN}"


def department_of_address(address: str) -> str | None:
    local, _, domain = address.strip().lower().partition("@")
    return local if domain == DOMAIN and local else None


def forged(event: Event) -> bool:
    """Mail that claims a department's internal address but did not come over the
    internal channel: a department's rules trust ``when.from = ["sales@departments.invalid"]``,
    so no outside message may wear it (the connectors build ids, never the sender)."""
    return not event.id.startswith(f"{CHANNEL}:") and event.sender.lower().endswith("@" + DOMAIN)


def chain_of(event: Event) -> tuple[str, ...]:
    """The departments this work already passed through, oldest first."""
    return tuple(d for d in event.refs.get("chain", "").split(">") if d)


def payload(action: HandOff, *, event: Event, sender: str) -> dict[str, Any]:
    """What the outbox row carries; ``sender`` is the department handing off."""
    chain = chain_of(event)
    if not chain or chain[-1] != sender:
        chain = (*chain, sender)
    return {
        "handoff": {
            "to": action.to,
            "from": sender,
            "kind": action.kind,
            "objective": action.objective,
            "constraints": list(action.constraints),
            "context": action.context or f"{event.channel}:{event.thread}",
            "expected": action.expected,
            "deadline_hours": action.deadline_hours,
            "chain": list(chain),
            "origin": {
                "event_id": event.id,
                "sender": event.sender,
                "subject": event.subject,
                "text": event.text[:20_000],
            },
            # A task carries the conversation itself: the target answers it there, under
            # its own rules (a question stays between the departments).
            "origin_event": event.to_json() if action.kind == "task" and event.channel != CHANNEL else "",
        }
    }


def render(contract: dict[str, Any]) -> str:
    """The text the target reads: the counterpart's own words first (what its facts and
    rules are read from), then the contract, quoted (``> ``) so that the figures of a
    question (a limit, a proposed amount) are never taken for the counterpart's."""
    lines = [f"{'Question' if contract['kind'] == 'question' else 'Hand-off'} from {contract['from']}"]
    lines.append(f"Objective: {contract['objective']}")
    for item in contract.get("constraints") or ():
        lines.append(f"Constraint: {item}")
    if contract.get("expected"):
        lines.append(f"Expected result: {contract['expected']}")
    if contract.get("deadline_hours"):
        lines.append(f"Deadline: within {contract['deadline_hours']:g} h")
    lines.append(f"Conversation: {contract['context']}")
    lines.append(f"Chain: {' -> '.join([*contract['chain'], contract['to']])}")
    quoted = "\n".join("> " + line for text in lines for line in text.splitlines())
    origin = contract.get("origin") or {}
    words = str(origin.get("text", "")).strip()
    if not words:
        return quoted
    return f"{words}\n\n{quoted}"


def subject_of(contract: dict[str, Any]) -> str:
    origin = contract.get("origin") or {}
    if contract["kind"] == "question":
        return f"[Question from {contract['from']}] {origin.get('subject', '')}".strip()[:200]
    return f"[Hand-off from {contract['from']}] {contract['objective']}"[:200]


def _refs(key: str, contract: dict[str, Any]) -> dict[str, str]:
    return {
        "department": contract["to"],
        "chain": ">".join(contract["chain"]),
        "handoff_kind": contract["kind"],
        "handoff_from": contract["from"],
        "handoff_key": key,
        "context": contract["context"],
        "origin_event": (contract.get("origin") or {}).get("event_id", ""),
    }


def event_for(key: str, contract: dict[str, Any]) -> Event:
    """The target department's inbox event for a hand-off row: for a task, the
    conversation itself (its channel, thread and people, so a reply reaches the
    counterpart through the target's own gate); for a question, a message between the
    departments that the supervisor answers."""
    if contract.get("origin_event"):
        origin = Event.from_json(contract["origin_event"])
        refs = {k: v for k, v in origin.refs.items() if k != "content_digest"}
        quoted = render({**contract, "origin": {}})
        return dataclasses.replace(
            origin,
            id=f"{CHANNEL}:{key}",
            kind="message",
            text=f"{origin.text}\n\n{quoted}" if origin.text.strip() else quoted,
            refs={**refs, **_refs(key, contract)},
        )
    return Event(
        id=f"{CHANNEL}:{key}",
        channel=CHANNEL,
        kind="message",
        thread=f"handoff:{key}",
        sender=address_of(contract["from"]),
        sender_name=contract["from"],
        received_at=datetime.now(UTC),
        recipients=(address_of(contract["to"]),),
        subject=subject_of(contract),
        text=render(contract),
        refs={"channel_type": CHANNEL, **_refs(key, contract), "message_id": key},
    )


def result_event(key: str, message: dict[str, Any], *, thread: str, refs: dict[str, str]) -> Event | None:
    """A department's reply in a hand-off thread: the result, an event for the department
    that handed off (``to`` is its address)."""
    to = [department_of_address(a) for a in message.get("to", ())]
    target = next((d for d in to if d), None)
    if target is None:
        return None
    sender = refs.get("department", "")  # the department that replied
    chain = [d for d in refs.get("chain", "").split(">") if d]
    if sender and chain[-1:] != [sender]:
        chain.append(sender)
    return Event(
        id=f"{CHANNEL}:{key}",
        channel=CHANNEL,
        kind="message",
        thread=thread,
        sender=address_of(sender) if sender else "",
        sender_name=sender,
        received_at=datetime.now(UTC),
        recipients=(address_of(target),),
        subject=str(message.get("subject") or f"Result from {sender}")[:200],
        text=str(message.get("text", "")),
        refs={
            "channel_type": CHANNEL,
            "department": target,
            "chain": ">".join(chain),
            "handoff_result": "1",
            "handoff_key": refs.get("handoff_key", ""),
            "message_id": key,
        },
    )


def delegated_to(event: Event) -> str:
    """The department a task hand-off gave this conversation to ("" for other events)."""
    if event.refs.get("handoff_kind") == "task" and event.channel != CHANNEL:
        return event.refs.get("department", "")
    return ""


def result_payload(
    event: Event, *, department: str, done: tuple[str, ...], interim: bool = False
) -> dict[str, Any]:
    """What a department did with a task handed to it: the result for the sender.
    ``interim``: it only asked someone (its supervisor, the owner); the expected result
    is still to come, so the hand-off's deadline keeps running."""
    chain = [*chain_of(event)]
    if chain[-1:] != [department]:
        chain.append(department)
    return {
        "result": {
            "to": event.refs.get("handoff_from", ""),
            "from": department,
            "chain": chain,
            "subject": event.subject,
            "done": list(done),
            "thread": f"handoff:{event.refs.get('handoff_key', '')}",
            "handoff_key": event.refs.get("handoff_key", ""),
            "interim": interim,
        }
    }


def result_of_task(key: str, result: dict[str, Any]) -> Event:
    done = result.get("done") or ["nothing"]
    return Event(
        id=f"{CHANNEL}:{key}",
        channel=CHANNEL,
        kind="message",
        thread=str(result["thread"]),
        sender=address_of(result["from"]),
        sender_name=result["from"],
        received_at=datetime.now(UTC),
        recipients=(address_of(result["to"]),),
        subject=f"[Result from {result['from']}] {result.get('subject', '')}".strip()[:200],
        text="\n".join(f"- {line}" for line in done),
        refs={
            "channel_type": CHANNEL,
            "department": result["to"],
            "chain": ">".join(result["chain"]),
            "handoff_result": "1",
            "handoff_key": str(result.get("handoff_key", "")),
            "handoff_interim": "1" if result.get("interim") else "",
            "message_id": key,
        },
    )
