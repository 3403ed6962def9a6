"""The gate's check of a calendar action: its typed date against what it answers.

A booking must be exactly one of the slots Deputy (or the owner) offered in this thread;
an answer to an invitation must be the rule's own answer, to the invitation this message
carries, for its date, and go to an organizer who is part of the conversation.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.actions import Calendar
from bot.calendar.invitation import invitation_text, our_attendee
from bot.calendar.offered import offered_in
from bot.events import Event
from bot.facts import Facts
from bot.rules.model import Rule


def calendar_problem(
    action: Calendar,
    rule: Rule,
    *,
    event: Event,
    facts: Facts,
    trusted_text: str,
    participants: frozenset[str],
    ours: frozenset[str],
) -> str | None:
    spec = rule.header.calendar
    if spec is None:
        return "the rule has no calendar"
    if action.channel != spec.channel:
        return f"calendar {action.channel!r} is not the rule's calendar.channel"
    if action.op == "book":
        if not spec.book:
            return "the rule does not say calendar.book = true"
        try:
            start, end = datetime.fromisoformat(action.start), datetime.fromisoformat(action.end)
        except ValueError:
            return "the booking has no valid start and end"
        if start.tzinfo is None or end.tzinfo is None or start <= datetime.now(UTC):
            return "the booking's start is not a future time with a zone"
        if not any(s.start == start and s.end == end for s in offered_in(trusted_text)):
            return "the booking is not one of the times offered in this conversation"
        return None
    if action.op != spec.invites:
        return f"the rule's calendar.invites is {spec.invites!r}, not {action.op!r}"
    invite = facts.invite
    if invite is None or invite.method not in ("REQUEST", ""):
        return "the message carries no invitation to answer"
    if action.start != invite.start:
        return "the answer is not for the invitation's date"
    if invite.organizer and invite.organizer.lower() not in participants:
        return f"the organizer {invite.organizer} is not part of this conversation"
    text = invitation_text(event)
    if not text or not our_attendee(text, (*ours, *event.recipients)):
        return "the invitation does not name one of our addresses as an attendee"
    return None
