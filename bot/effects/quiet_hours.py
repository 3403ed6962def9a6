"""The owner's quiet hours: questions and notices wait until the morning.

Replies to correspondents are not held; only what is addressed to the owner is.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.owner import OwnerProfile


def _hhmm(text: str) -> time:
    hour, minute = (int(x) for x in text.split(":"))
    return time(hour, minute)


def quiet_until(owner: OwnerProfile, *, now: float) -> float:
    """0 when the owner may be disturbed now, else the epoch time the quiet hours end."""
    if not owner.quiet_hours:
        return 0.0
    start, end = (_hhmm(t) for t in owner.quiet_hours)
    tz = ZoneInfo(owner.timezone)
    local = datetime.fromtimestamp(now, tz)
    current = local.time()
    inside = (start <= current or current < end) if start > end else (start <= current < end)
    if not inside or start == end:
        return 0.0
    day = local.date() if current < end else local.date() + timedelta(days=1)
    # Local wall time -> epoch through zoneinfo, so a DST change overnight is respected.
    return datetime.combine(day, end, tzinfo=tz).timestamp()
