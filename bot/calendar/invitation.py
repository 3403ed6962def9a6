"""The invitation a message carries: the text of its first text/calendar part, and
which of our addresses it invites."""

from __future__ import annotations

from collections.abc import Iterable

from bot.calendar import ical
from bot.events import Event


def invitation_text(event: Event) -> str:
    parts = (a.text for a in event.attachments if a.content_type.lower().startswith("text/calendar"))
    return next((text for text in parts if text), "")


def our_attendee(invite: str, candidates: Iterable[str]) -> str:
    """Which of our addresses the invitation names as an attendee ("" when none)."""
    try:
        return next((a for a in candidates if a and ical.attends(invite, a)), "")
    except ical.CalendarError:
        return ""
