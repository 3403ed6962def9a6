"""Free meeting slots from busy intervals, in the owner's working hours and time zone.

Pure: the CalDAV connector reads the busy time (a free-busy query, RFC 4791 7.10) and
this module cuts slots out of what is left. Slots are computed in the owner's zone, so a
working day of 09:00-17:00 stays 09:00-17:00 across a daylight-saving change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    start: datetime  # aware
    end: datetime

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end

    def to_json(self) -> dict[str, str]:
        return {"start": self.start.astimezone(UTC).isoformat(), "end": self.end.astimezone(UTC).isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Slot:
        return cls(start=datetime.fromisoformat(data["start"]), end=datetime.fromisoformat(data["end"]))


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkingTime:
    timezone: str = "UTC"
    start: time = time(9, 0)
    end: time = time(17, 0)
    days: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO weekdays, Monday = 1
    slot_minutes: int = 30
    notice_hours: float = 12.0  # no slot sooner than this
    days_ahead: int = 7


def free_slots(
    busy: Iterable[tuple[datetime, datetime]], *, now: datetime, work: WorkingTime, count: int = 3
) -> list[Slot]:
    """Up to ``count`` free slots, at most one a day first (people like a choice of days),
    then more from the same days if the week is too full for that."""
    zone = ZoneInfo(work.timezone)
    taken = sorted(busy)
    earliest = now + timedelta(hours=work.notice_hours)
    candidates = [s for s in _candidates(now.astimezone(zone).date(), zone, work) if s.start >= earliest]
    free = [s for s in candidates if not any(s.overlaps(b0, b1) for b0, b1 in taken)]
    first_of_day: list[Slot] = []
    seen: set[date] = set()
    for slot in free:
        day = slot.start.astimezone(zone).date()
        if day not in seen:
            seen.add(day)
            first_of_day.append(slot)
    chosen = first_of_day[:count]
    chosen += [s for s in free if s not in chosen][: count - len(chosen)]
    return sorted(chosen)


def _candidates(first: date, zone: ZoneInfo, work: WorkingTime) -> list[Slot]:
    step = timedelta(minutes=work.slot_minutes)
    out: list[Slot] = []
    for offset in range(work.days_ahead + 1):
        day = first + timedelta(days=offset)
        if day.isoweekday() not in work.days:
            continue
        start = datetime.combine(day, work.start, zone)
        stop = datetime.combine(day, work.end, zone)
        while start + step <= stop:
            out.append(Slot(start=start, end=start + step))
            start += step
    return out


def describe(slots: Sequence[Slot], timezone: str) -> str:
    """The lines a reply offers; ``offered_in`` reads them back from what Deputy sent.
    One slot a line: ``1. Tue 2026-12-08 10:00-10:30 (Europe/Berlin)``."""
    zone = ZoneInfo(timezone)
    lines = []
    for n, slot in enumerate(slots, start=1):
        a, b = slot.start.astimezone(zone), slot.end.astimezone(zone)
        lines.append(f"{n}. {a:%a %Y-%m-%d %H:%M}-{b:%H:%M} ({timezone})")
    return "\n".join(lines)


# The calendar connector's state key for ``encode(...)``: the core reads it to offer slots.
STATE_KEY = "free_time"


@dataclass(frozen=True, slots=True)
class FreeTime:
    """What the calendar connector last read: the slots to offer and the busy time."""

    slots: tuple[Slot, ...] = ()
    busy: tuple[Slot, ...] = ()

    def is_free(self, start: datetime, end: datetime) -> bool:
        return not any(b.overlaps(start, end) for b in self.busy)


def encode(slots: Sequence[Slot], busy: Iterable[tuple[datetime, datetime]] = ()) -> str:
    periods = [Slot(start=a, end=b).to_json() for a, b in busy]
    return json.dumps({"slots": [s.to_json() for s in slots], "busy": periods})


def decode(raw: str | None) -> FreeTime:
    if not raw:
        return FreeTime()
    try:
        data = json.loads(raw)
        return FreeTime(
            slots=tuple(Slot.from_json(d) for d in data["slots"]),
            busy=tuple(Slot.from_json(d) for d in data["busy"]),
        )
    except (ValueError, KeyError, TypeError):
        return FreeTime()
