"""Which offered slot a correspondent took, read from what Deputy sent and their answer.

Deputy offers slots as numbered lines (``slots.describe``); the answer names one by its
number ("option 2", "2 works"), its weekday and time ("Tuesday at 10"), or its date and
time. Exactly one match books; none or several is a question for the owner, never a guess.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.calendar.slots import Slot
from bot.first_char import guarded

_LINE = guarded(
    r"^\s*(\d)\.\s+\w{3}\s+(\d{4}-\d{2}-\d{2})\s+(\d{2}:\d{2})-(\d{2}:\d{2})\s+\(([\w/+\-]+)\)\s*$", re.M
)
_DAYS = {
    "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
    "mo": 1, "di": 2, "mi": 3, "do": 4, "fr": 5, "sa": 6, "so": 7,
}  # fmt: skip


_NUMBER = guarded(
    r"(?<![\d:./\-])(?<!at )(?<!um )(?<!à )\b(\d)\b(?![\d:./\-])(?!\s*(?:am|pm|uhr|h\b|o'clock))"
)


def offered_in(sent: str) -> list[Slot]:
    """The slots in the last text Deputy sent that offered any."""
    out: list[Slot] = []
    for m in _LINE.finditer(sent):
        zone = ZoneInfo(m[5])
        start = datetime.fromisoformat(f"{m[2]}T{m[3]}").replace(tzinfo=zone)
        end = datetime.fromisoformat(f"{m[2]}T{m[4]}").replace(tzinfo=zone)
        if end <= start:  # "23:00-00:00": the line names only the start's date
            end = (end + timedelta(days=1)).replace(tzinfo=zone)
        out.append(Slot(start=start, end=end))
    return out


def chosen(answer: str, offered: list[Slot]) -> Slot | None:
    """The one offered slot ``answer`` names, or None (none named, or more than one)."""
    text = answer.lower()
    hits: set[int] = set()
    # A lone digit names an option ("option 2", "2 works", "2 or 3"); one that is part of
    # a time or a date ("at 2", "2pm", "10:00", "2.12.") does not.
    for m in _NUMBER.finditer(text):
        n = int(m[1])
        if 1 <= n <= len(offered):
            hits.add(n - 1)
    for i, slot in enumerate(offered):
        local = slot.start.astimezone(slot.start.tzinfo)
        hour = local.hour
        times = {
            f"{hour}:{local.minute:02d}",
            f"{hour:02d}:{local.minute:02d}",
            f"{hour % 12 or 12}:{local.minute:02d}",
        }
        if local.minute == 0:
            times |= {
                f"{hour} ",
                f"at {hour}",
                f"{hour % 12 or 12}am",
                f"{hour % 12 or 12} am",
                f"{hour % 12 or 12}pm",
                f"{hour % 12 or 12} pm",
                f"{hour} uhr",
            }
        said_time = any(t in text + " " for t in times)
        said_date = local.strftime("%Y-%m-%d") in text or local.strftime("%d.%m.") in text
        said_day = any(
            re.search(rf"\b{name}", text) and day == local.isoweekday() for name, day in _DAYS.items()
        )
        if said_time and (said_date or said_day):
            hits.add(i)
    return offered[hits.pop()] if len(hits) == 1 else None
