"""A hand-off's deadline: a durable timer written with the hand-off, the question that
goes up the chain when it passes with no result back, and what a late result says.

The timer lives in the timers table like every other (bot/store/timers.py), so the
scheduler fires it on its monotonic waits, a restart or a SIGKILL loses nothing, and
downtime over the deadline is caught up at the first tick. Its states tell the story:
``pending`` (waiting), ``cancelled`` (the result came in time), ``fired`` (overdue: the
sender's ``handoff_deadline`` event asked upwards), ``late`` (the result came after).
A result that only says the target asked someone (its supervisor, the owner) is
interim: the expected result is still to come and the deadline keeps running.
"""

from __future__ import annotations

import time
from typing import Any

from bot.actions import Escalate, HandOff, Ignore
from bot.departments.handoff import CHANNEL, LATE, OVERDUE, Role, chain_of
from bot.events import Event

KIND = "handoff_deadline"  # the timer's kind; its event is the sender's "hand-off overdue"
__all__ = ["KIND", "LATE", "OVERDUE", "describe", "overdue_question", "timer", "timer_key"]


def timer_key(handoff_key: str) -> str:
    return f"handoff-deadline:{handoff_key}"


def timer(role: Role, action: HandOff, *, event: Event, key: str) -> dict[str, Any]:
    """``Timers.add_in`` arguments for the hand-off row ``key``; the fired event belongs
    to the sending department (``department``) and carries the chain it asks along."""
    chain = chain_of(event)
    if chain[-1:] != (role.name,):
        chain = (*chain, role.name)
    hours = float(action.deadline_hours or 0)
    return {
        "key": timer_key(key),
        "due_at": time.time() + hours * 3600,
        "kind": KIND,
        "payload": {
            "channel": CHANNEL,
            "thread": f"handoff:{key}",
            "department": role.name,
            "chain": ">".join(chain),
            "handoff_key": key,
            "to": action.to,
            "objective": action.objective[:500],
            "deadline_hours": f"{hours:g}",
            "subject": event.subject[:200],
        },
    }


def describe(refs: dict[str, str] | Any) -> str:
    """The hand-off, named: who handed what to whom, along which chain."""
    path = " -> ".join([*[d for d in refs.get("chain", "").split(">") if d], refs.get("to", "")])
    subject = f' ("{refs["subject"]}")' if refs.get("subject") else ""
    return f"{refs.get('objective', '')}{subject}, {path}"


def overdue_question(event: Event) -> Escalate:
    """What goes up the chain (by role: the supervising department, else the owner)."""
    refs = event.refs
    text = (
        f'Hand-off overdue: {refs.get("department", "")} handed "{describe(refs)}" to '
        f"{refs.get('to', '')} with a deadline of {refs.get('deadline_hours', '?')} h, and no "
        f"result has come back. A result that still comes is accepted and says it was late."
    )
    return Escalate(
        question=text,
        reason="hand-off overdue",
        options=("Keep waiting",),
        option_actions=((Ignore(reason="keep waiting for the result"),),),
        default_option=0,
    )


def overdue_escalation_key(timer_event_id: str) -> str:
    """The key ``Executor.apply_in`` gives the overdue question (prefix ``:overdue``):
    a late result closes that question by it."""
    return f"{timer_event_id}:overdue:0:escalate"


def timer_event_id(handoff_key: str) -> str:
    return f"timer:{timer_key(handoff_key)}"
