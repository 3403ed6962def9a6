"""The calendar through the real daemon: mail in over SMTP, Radicale as the calendar.

A meeting request gets a reply that offers times that are free in the calendar; the
correspondent takes one and it is booked once, with the invitation attached to the
confirmation; invitations are accepted or declined by the rules, with the iTIP REPLY
mailed to the organizer and an accepted one stored without METHOD."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.e2e.conftest import Home, mail, wait_until
from tests.integrations.radicale import PASSWORD, USER, Radicale, radicale  # noqa: F401

TZ = "Europe/Berlin"
SLOT = re.compile(
    r"^(\d)\. \w{3} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})-(\d{2}:\d{2}) \(Europe/Berlin\)\r?$", re.M
)

MEETINGS = '''+++
priority = 10
when.keywords = ["meeting"]
may = ["reply", "calendar"]
reply.template = """
Hi $first_name,

happy to talk. These times are free:

$free_slots

Which one suits you?
"""
calendar = { channel = "calendar", book = true, summary = "Call with $sender_name" }
+++
Offer free times and book the one they take.
'''

INVITES = """+++
priority = 50
when.invite = true
when.from = ["*@client.example"]
may = ["calendar"]
calendar = { channel = "calendar", invites = "accept" }
+++
Accept invitations from clients.
"""

DECLINES = """+++
priority = 40
when.invite = true
when.from = ["*@vendor.example"]
may = ["calendar"]
calendar = { channel = "calendar", invites = "decline" }
+++
Decline vendors' invitations.
"""


def _setup(home: Home, server: Radicale) -> None:
    home.env["DEPUTY_CALDAV_PASSWORD"] = PASSWORD
    with home.config.open("a", encoding="utf-8") as f:
        f.write(
            "[channels.calendar]\n"
            'type = "caldav"\n'
            f'url = "{server.url}"\n'
            f'username = "{USER}"\n'
            'password_env = "DEPUTY_CALDAV_PASSWORD"\n'
            'calendar = "work"\n'
            'working_hours = ["09:00", "12:00"]\n'
            "slot_minutes = 60\n"
            "notice_hours = 1\n"
            "refresh_seconds = 1\n"
        )
    rules = home.root / "rules"
    (rules / "meetings.md").write_text(MEETINGS, encoding="utf-8")
    (rules / "invites.md").write_text(INVITES, encoding="utf-8")
    (rules / "declines.md").write_text(DECLINES, encoding="utf-8")


def _busy(server: Radicale, uid: str, start: datetime, hours: int) -> tuple[datetime, datetime]:
    end = start + timedelta(hours=hours)
    server.calendar().save_event(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{end.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\nSUMMARY:busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return start, end


def _tomorrow_nine(days: int = 1) -> datetime:
    day = datetime.now(ZoneInfo(TZ)).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo(TZ))


def _calendar_parts(msg: EmailMessage) -> list[Calendar]:
    out = []
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            out.append(Calendar.from_ical(part.get_payload(decode=True)))
    return out


def _events(server: Radicale) -> list[Calendar]:
    return [Calendar.from_ical(text) for text in server.events() if "SUMMARY:busy" not in text]


def test_offered_times_are_free_and_the_one_taken_is_booked_once(home: Home, radicale: Radicale) -> None:  # noqa: F811
    _setup(home, radicale)
    busy = [_busy(radicale, f"busy-{d}@test", _tomorrow_nine(d), 2) for d in range(1, 9)]
    home.start()
    wait_until(lambda: home.query("SELECT 1 FROM kv WHERE key='connector:calendar:free_time'"), timeout=30)

    bob = "Bob Client <bob@client.example>"
    ask = "Hello,\n\ncould we have a meeting next week?\n\nBob\n"
    home.send(mail(sender=bob, subject="Meeting next week?", message_id="<m1@client>", text=ask))
    replies = wait_until(lambda: home.replies_to("<m1@client>"), timeout=30)
    assert isinstance(replies, list)
    offer = replies[0]
    text = offer.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    slots = [
        (datetime.fromisoformat(f"{d}T{a}").replace(tzinfo=ZoneInfo(TZ)),
         datetime.fromisoformat(f"{d}T{b}").replace(tzinfo=ZoneInfo(TZ)))
        for _, d, a, b in SLOT.findall(text)
    ]  # fmt: skip
    assert len(slots) == 3, text
    for start, end in slots:
        assert 9 <= start.hour < 12 and start.isoweekday() <= 5
        assert not any(start < b1 and b0 < end for b0, b1 in busy), (start, text)  # free in the calendar
        assert start > datetime.now(UTC)

    threading = {"In-Reply-To": offer["Message-ID"], "References": f"<m1@client> {offer['Message-ID']}"}
    took = "Hi,\n\noption 2 works for me.\n\nBob\n"
    answer = mail(
        sender=bob, subject="Re: Meeting next week?", message_id="<m2@client>", text=took, headers=threading
    )
    home.send(answer)
    booked = wait_until(lambda: _events(radicale), timeout=30)
    assert isinstance(booked, list) and len(booked) == 1
    event = booked[0].walk("VEVENT")[0]
    assert "METHOD" not in booked[0]  # RFC 4791 4.1
    assert event.decoded("dtstart") == slots[1][0] and event.decoded("dtend") == slots[1][1]
    assert str(event["summary"]) == "Call with Bob Client"

    confirmations = wait_until(lambda: home.replies_to("<m2@client>"), timeout=30)
    assert isinstance(confirmations, list) and len(confirmations) == 1
    [invitation] = _calendar_parts(confirmations[0])
    assert str(invitation["method"]) == "REQUEST"
    assert str(invitation.walk("VEVENT")[0]["uid"]) == str(event["uid"])

    # A crash and the same answer again (a client resending it): still one event, one mail.
    wait_until(home.drained, timeout=30)
    home.kill()
    home.start()
    home.send(answer)
    wait_until(home.drained, timeout=30)
    assert len(_events(radicale)) == 1
    assert len(home.replies_to("<m2@client>")) == 1


def _invite(uid: str, organizer: str, start: datetime) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Client//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{(start + timedelta(hours=1)).astimezone(UTC):%Y%m%dT%H%M%SZ}\r\nSUMMARY:Quarterly review\r\n"
        f"ORGANIZER;CN=Organizer:mailto:{organizer}\r\n"
        "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:alex@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _invitation_mail(sender: str, message_id: str, uid: str) -> EmailMessage:
    msg = mail(sender=sender, subject="Invitation: Quarterly review", message_id=message_id,
               text="You are invited to the quarterly review.\n")  # fmt: skip
    msg.add_attachment(
        _invite(uid, sender, _tomorrow_nine(3)).encode(), maintype="text", subtype="calendar",
        params={"method": "REQUEST"}, filename="invite.ics",
    )  # fmt: skip
    return msg


def test_invitations_are_accepted_or_declined_by_the_rules(home: Home, radicale: Radicale) -> None:  # noqa: F811
    _setup(home, radicale)
    home.start()
    home.send(_invitation_mail("carol@client.example", "<i1@client>", "review-1@client.example"))
    home.send(_invitation_mail("dan@vendor.example", "<i2@vendor>", "pitch-1@vendor.example"))
    accepted = wait_until(lambda: home.replies_to("<i1@client>"), timeout=30)
    declined = wait_until(lambda: home.replies_to("<i2@vendor>"), timeout=30)
    assert isinstance(accepted, list) and isinstance(declined, list)
    cases = ((accepted, "carol@client.example", "ACCEPTED"), (declined, "dan@vendor.example", "DECLINED"))
    for msgs, who, partstat in cases:
        assert len(msgs) == 1 and msgs[0]["To"] == who
        [reply] = _calendar_parts(msgs[0])
        assert str(reply["method"]) == "REPLY"  # RFC 5546 3.2.3
        attendee = reply.walk("VEVENT")[0]["attendee"]
        assert str(attendee).lower() == "mailto:alex@example.com" and attendee.params["PARTSTAT"] == partstat
    stored = wait_until(lambda: _events(radicale), timeout=30)
    assert isinstance(stored, list)
    wait_until(home.drained, timeout=30)
    stored = _events(radicale)
    assert [str(c.walk("VEVENT")[0]["uid"]) for c in stored] == ["review-1@client.example"]
    assert "METHOD" not in stored[0]
    assert stored[0].walk("VEVENT")[0]["attendee"].params["PARTSTAT"] == "ACCEPTED"
