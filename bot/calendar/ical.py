"""iCalendar documents Deputy writes and reads: an invitation (iTIP REQUEST), an answer
to one (iTIP REPLY), and the copy stored in the calendar (no METHOD).

RFC 5546 (iTIP) says what each method carries; RFC 4791 4.1 forbids METHOD in a stored
calendar object resource, so what goes to the CalDAV server is always ``stored(...)``.
The event's UID comes from the idempotency key, so a retried booking finds its own event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Deputy//Deputy calendar//EN"
PARTSTATS = {"accept": "ACCEPTED", "decline": "DECLINED", "tentative": "TENTATIVE"}


class CalendarError(ValueError):
    """An iCalendar text that cannot be used; the text says why."""


def uid_for(key: str, *, domain: str) -> str:
    return f"deputy-{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}"


def _mailto(address: str) -> vCalAddress:
    return vCalAddress(f"mailto:{address}")


def request(
    *,
    uid: str,
    start: datetime,
    end: datetime,
    summary: str,
    organizer: str,
    organizer_name: str,
    attendees: Sequence[str],
    now: datetime | None = None,
) -> str:
    """An iTIP REQUEST (RFC 5546 3.2.2) inviting ``attendees``."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now or datetime.now(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("summary", summary)
    event.add("sequence", 0)
    event.add("status", "CONFIRMED")
    org = _mailto(organizer)
    org.params["CN"] = vText(organizer_name)
    event.add("organizer", org)
    for address in attendees:
        who = _mailto(address)
        who.params.update({"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"})
        event.add("attendee", who)
    cal.add_component(event)
    return str(cal.to_ical().decode())


def parse(text: str) -> Calendar:
    try:
        return Calendar.from_ical(text)
    except ValueError as exc:
        raise CalendarError(f"not a readable iCalendar object: {exc}") from None


def first_event(cal: Calendar) -> Event:
    for component in cal.walk("VEVENT"):
        if isinstance(component, Event):
            return component
    raise CalendarError("no VEVENT in the calendar object")


def method_of(text: str) -> str:
    return str(parse(text).get("method", "")).upper()


def uid_of(text: str) -> str:
    return str(first_event(parse(text)).get("uid", ""))


def stored(text: str, *, attendee: str = "", answer: str = "") -> str:
    """The calendar object to store: METHOD removed (RFC 4791 4.1), and, when we answer
    an invitation, our own PARTSTAT set on our ATTENDEE line."""
    cal = parse(text)
    if "method" in cal:
        del cal["method"]
    if attendee and answer:
        _set_partstat(first_event(cal), attendee, PARTSTATS[answer])
    return str(cal.to_ical().decode())


def reply(text: str, *, attendee: str, answer: str, now: datetime | None = None) -> str:
    """The iTIP REPLY (RFC 5546 3.2.3) to the REQUEST in ``text``: the same UID, SEQUENCE
    and DTSTART, the ORGANIZER, and only our own ATTENDEE with its PARTSTAT."""
    source = first_event(parse(text))
    ours = _attendee(source, attendee)
    if ours is None:
        raise CalendarError(f"{attendee} is not an attendee of this invitation")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "REPLY")
    event = Event()
    for name in ("uid", "sequence", "dtstart", "dtend", "summary", "organizer", "recurrence-id"):
        if name in source:
            event[name] = source[name]
    event.add("dtstamp", now or datetime.now(UTC))
    who = _mailto(attendee)
    who.params["PARTSTAT"] = PARTSTATS[answer]
    if "CN" in ours.params:
        who.params["CN"] = ours.params["CN"]
    event.add("attendee", who)
    cal.add_component(event)
    return str(cal.to_ical().decode())


def organizer_of(text: str) -> str:
    value = str(first_event(parse(text)).get("organizer", ""))
    return value.split(":", 1)[1] if value.lower().startswith("mailto:") else value


def attends(text: str, address: str) -> bool:
    return _attendee(first_event(parse(text)), address) is not None


def _attendees(event: Event) -> list[vCalAddress]:
    value = event.get("attendee")
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _attendee(event: Event, address: str) -> vCalAddress | None:
    want = f"mailto:{address}".lower()
    return next((a for a in _attendees(event) if str(a).lower() == want), None)


def _set_partstat(event: Event, address: str, partstat: str) -> None:
    found = _attendee(event, address)
    if found is None:
        raise CalendarError(f"{address} is not an attendee of this invitation")
    found.params["PARTSTAT"] = partstat
    found.params.pop("RSVP", None)


def busy_periods(freebusy: str) -> list[tuple[datetime, datetime]]:
    """The busy periods of a VFREEBUSY answer (RFC 5545 3.6.4); FREE periods are left out."""
    out: list[tuple[datetime, datetime]] = []
    for component in parse(freebusy).walk("VFREEBUSY"):
        values = component.get("freebusy")
        if values is None:
            continue
        for value in values if isinstance(values, list) else [values]:
            if str(value.params.get("FBTYPE", "BUSY")).upper() == "FREE":
                continue
            for period in value.dt if isinstance(value.dt, list) else [value.dt]:
                start, end = period
                if not isinstance(end, datetime):
                    end = start + end  # a PERIOD given as start/duration
                out.append((start.astimezone(UTC), end.astimezone(UTC)))
    return sorted(out)
