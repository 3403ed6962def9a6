"""A calendar invitation (RFC 5545 iCalendar, iTIP methods of RFC 5546) read from a
text/calendar part: METHOD, and SUMMARY, DTSTART, ORGANIZER of the first VEVENT.

Read by hand (unfold, split at the first unquoted colon) rather than with a calendar
library: four properties are all a deputy needs to say "an invite for Tuesday 10:00",
and the parser must not fail on the half-valid files some clients send.
"""

from __future__ import annotations

import re

from bot.facts.model import Invite
from bot.first_char import guarded

MAX_CALENDAR = 20_000
_FOLD = guarded(r"\r?\n[ \t]")


def invite_in(calendar: str) -> Invite | None:
    """The invite in ``calendar`` (the raw text of a text/calendar part), or None."""
    if "BEGIN:VCALENDAR" not in calendar.upper()[:MAX_CALENDAR]:
        return None
    unfolded = _FOLD.sub("", calendar[:MAX_CALENDAR])  # RFC 5545 3.1: CRLF + one space/tab
    method = summary = start = organizer = ""
    in_event = seen_event = False
    for line in unfolded.splitlines():
        name, params, value = _split(line)
        if name == "METHOD" and not in_event:
            method = value.strip().upper()
        elif name == "BEGIN" and value.strip().upper() == "VEVENT":
            in_event = not seen_event
        elif name == "END" and value.strip().upper() == "VEVENT":
            in_event, seen_event = False, True
        elif in_event and name == "SUMMARY":
            summary = _unescape(value)[:300]
        elif in_event and name == "DTSTART":
            start = _iso(value.strip(), params)
        elif in_event and name == "ORGANIZER":
            organizer = re.sub(r"(?i)^mailto:", "", value.strip())[:300]
    if not (method or summary or start):
        return None
    return Invite(method=method, summary=summary, start=start, organizer=organizer)


def _split(line: str) -> tuple[str, str, str]:
    """NAME;PARAMS:VALUE, where a colon inside a quoted parameter does not count."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            head, value = line[:index], line[index + 1 :]
            name, _, params = head.partition(";")
            return name.strip().upper(), params, value
    return "", "", ""


def _unescape(value: str) -> str:
    """RFC 5545 3.3.11 TEXT escapes."""
    return (
        value.replace("\\n", " ")
        .replace("\\N", " ")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
    ).strip()


def _iso(value: str, params: str) -> str:
    """20270315T100000Z -> 2027-03-15T10:00:00Z; a DATE value -> 2027-03-15; anything
    else as written. The TZID, when given, is kept after the time (";TZID=...")."""
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z)?)?", value)
    if m is None:
        return value[:40]
    y, mo, d, h, mi, s, z = m.groups()
    if h is None:
        return f"{y}-{mo}-{d}"
    tz = "Z" if z else ""
    tzid = re.search(r"(?i)TZID=\"?([^\";:]+)", params)
    suffix = f" {tzid.group(1)}" if tzid and not z else ""
    return f"{y}-{mo}-{d}T{h}:{mi}:{s or '00'}{tz}{suffix}"
