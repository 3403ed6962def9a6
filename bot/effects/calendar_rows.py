"""The outbox rows of a calendar action: the calendar's own row and the mail that goes
with it, written in one transaction with the event's decision.

- book: the event for the calendar (``book``: stored once, its UID from the idempotency
  key) and a confirmation to the correspondent with the iTIP REQUEST attached;
- accept/decline: the invitation for the calendar (``answer_invite``: kept when accepted)
  and the iTIP REPLY to the organizer (RFC 5546 3.2.3), in the invitation's thread.

The text is written here from the typed fields; no model writes a date into it.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.actions import Calendar
from bot.calendar import ical
from bot.calendar.invitation import invitation_text, our_attendee
from bot.effects.reply_message import reply_message
from bot.events import Event
from bot.owner import OwnerProfile
from bot.store import OutboxRow, thread_key


def calendar_rows(
    action: Calendar,
    *,
    event: Event,
    key: str,
    owner: OwnerProfile,
    own_addresses: tuple[str, ...],
    mail: bool,
    domain: str,
    autonomous: bool,
) -> list[OutboxRow]:
    thread = thread_key(event)
    if action.op == "book":
        start, end = datetime.fromisoformat(action.start), datetime.fromisoformat(action.end)
        organizer = (owner.emails or own_addresses or (event.sender,))[0]
        document = ical.request(
            uid=ical.uid_for(key, domain=domain),
            start=start,
            end=end,
            summary=action.summary,
            organizer=organizer,
            organizer_name=owner.name,
            attendees=(event.sender,),
        )
        local = start.astimezone(ZoneInfo(owner.timezone or "UTC"))
        text = (
            f"Hello,\n\nconfirmed: {local:%A, %d %B %Y, %H:%M}-{end.astimezone(local.tzinfo):%H:%M} "
            f"({owner.timezone or 'UTC'}). The invitation is attached."
        )
        to: tuple[str, ...] = (event.sender,)
        calendar_row = OutboxRow(
            key=key,
            event_id=event.id,
            connector=action.channel,
            op="book",
            payload={"ics": document},
            thread=thread,
        )
    else:
        invite = invitation_text(event)
        attendee = our_attendee(invite, (*owner.emails, *own_addresses, *event.recipients))
        document = ical.reply(invite, attendee=attendee, answer=action.op)
        verb = "Accepted" if action.op == "accept" else "Declined"
        text = f"{verb}: {action.summary}"
        to = (ical.organizer_of(invite) or event.sender,)
        calendar_row = OutboxRow(
            key=key,
            event_id=event.id,
            connector=action.channel,
            op="answer_invite",
            payload={"ics": invite, "attendee": attendee, "answer": action.op},
            thread=thread,
        )
    message = reply_message(
        event,
        text=text,
        to=to,
        cc=(),
        key=f"{key}:mail",
        mail=mail,
        owner=owner,
        auto_submitted=True,
        message_id_domain=domain,
    )
    message = dataclasses.replace(message, calendar=document)
    mail_row = OutboxRow(
        key=f"{key}:mail",
        event_id=event.id,
        connector=event.channel,
        op="send",
        payload=message.to_payload(),
        thread=thread,
        recipient=to[0],
        autonomous=autonomous,
        recipients=to,
    )
    return [calendar_row, mail_row]
