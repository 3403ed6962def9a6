"""The CalDAV connector against a real Radicale: free slots, booking once, invitations.

The connector runs unpatched with a real store for its state; the calendar is seeded and
read back with caldav's own client, as the owner's phone would see it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.calendar import ical
from bot.calendar.slots import STATE_KEY, decode
from bot.channels.contract import ConnectorRuntime
from bot.delivery import Delivery
from bot.errors import PermanentError
from bot.owner import OwnerProfile
from bot.store import Store
from bot.store.kv import NamespacedState
from connectors.caldav import CalDavConnector, CalDavSettings
from tests.integrations.radicale import PASSWORD, USER, Radicale, radicale  # noqa: F401

TZ = "Europe/Berlin"
OWNER = "alex@example.com"


@pytest.fixture
def env_password(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DEPUTY_CALDAV_PASSWORD", PASSWORD)
    yield


@pytest.fixture
async def connector(tmp_path: Path, radicale: Radicale, env_password: None) -> AsyncIterator[CalDavConnector]:  # noqa: F811
    store = Store(tmp_path / "deputy.sqlite3")
    await store.open()
    tasks: list[asyncio.Task[object]] = []
    runtime = ConnectorRuntime(
        name="calendar",
        data_dir=tmp_path,
        owner=OwnerProfile(name="Alex", emails=(OWNER,), timezone=TZ),
        state=NamespacedState(store.kv, "calendar"),
        own_addresses=(),
        spawn=lambda coro, name: tasks.append(asyncio.ensure_future(coro)) or tasks[-1],  # type: ignore[func-returns-value]
    )
    settings = CalDavSettings(
        url=radicale.url, username=USER, password_env="DEPUTY_CALDAV_PASSWORD", calendar="work",
        working_hours=["09:00", "12:00"], slot_minutes=60, offer=3, notice_hours=0, days_ahead=6,
    )  # fmt: skip
    conn = CalDavConnector(name="calendar", settings=settings, runtime=runtime)
    await conn.start(lambda event: asyncio.sleep(0, True))  # type: ignore[arg-type,return-value]
    try:
        yield conn
    finally:
        await conn.stop()
        await store.close()


def _busy(radicale: Radicale, uid: str, start: datetime, hours: float = 1) -> None:  # noqa: F811
    end = start + timedelta(hours=hours)
    radicale.calendar().save_event(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{end.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\nSUMMARY:busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def _working_day(offset: int) -> datetime:
    """09:00 Berlin on the ``offset``-th working day from tomorrow."""
    day = datetime.now(ZoneInfo(TZ)).date() + timedelta(days=1)
    found = 0
    while True:
        if day.isoweekday() <= 5:
            if found == offset:
                return datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo(TZ))
            found += 1
        day += timedelta(days=1)


async def test_offered_slots_are_free_in_the_calendar(connector: CalDavConnector, radicale: Radicale) -> None:  # noqa: F811
    first, second = _working_day(0), _working_day(1)
    _busy(radicale, "a@test", first, hours=3)  # the whole first working morning
    _busy(radicale, "b@test", second, hours=1)  # 09:00-10:00 on the second
    await connector.refresh()
    slots = decode(await connector._runtime.state.get(STATE_KEY)).slots
    assert len(slots) == 3
    busy = [(first, first + timedelta(hours=3)), (second, second + timedelta(hours=1))]
    for slot in slots:
        local = slot.start.astimezone(ZoneInfo(TZ))
        assert 9 <= local.hour < 12 and local.isoweekday() <= 5, local
        assert not any(slot.overlaps(b0, b1) for b0, b1 in busy), slot
    assert all(slot.start > datetime.now(UTC) for slot in slots)
    days = [slot.start.astimezone(ZoneInfo(TZ)).date() for slot in slots]
    assert len(set(days)) == 3, "one slot a day while the days have room"
    if second.date() in days:  # its first free hour is 10:00, after the busy 09:00-10:00
        assert slots[days.index(second.date())].start == second + timedelta(hours=1)


def _booking(key: str, start: datetime) -> Delivery:
    text = ical.request(
        uid=ical.uid_for(key, domain="deputy.test"), start=start, end=start + timedelta(hours=1),
        summary="Call with Bob", organizer=OWNER, organizer_name="Alex", attendees=["bob@client.example"],
    )  # fmt: skip
    return Delivery(key=key, connector="calendar", op="book", payload={"ics": text})


async def test_an_accepted_slot_is_booked_once(connector: CalDavConnector, radicale: Radicale) -> None:  # noqa: F811
    start = _working_day(2) + timedelta(hours=1)
    booking = _booking("event-1:calendar:0", start)
    assert (await connector.deliver(booking))["existing"] == "no"
    assert (await connector.deliver(booking))["existing"] == "yes"  # a retry after a lost answer
    stored = [e for e in radicale.events() if "Call with Bob" in e]
    assert len(stored) == 1
    assert "METHOD" not in stored[0]  # RFC 4791 4.1
    # Someone else's booking of the same hour: refused, nothing stored.
    with pytest.raises(PermanentError, match="no longer free"):
        await connector.deliver(_booking("event-2:calendar:0", start))
    assert len([e for e in radicale.events() if "Call with Bob" in e]) == 1


def _invite(uid: str, start: datetime) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Client//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{(start + timedelta(hours=1)).astimezone(UTC):%Y%m%dT%H%M%SZ}\r\nSUMMARY:Review\r\n"
        "ORGANIZER;CN=Bob:mailto:bob@client.example\r\n"
        f"ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{OWNER}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


async def test_an_accepted_invitation_is_stored_without_method_and_a_declined_one_is_not(
    connector: CalDavConnector,
    radicale: Radicale,  # noqa: F811
) -> None:
    start = _working_day(3)
    for uid, answer in (("inv-yes@client", "accept"), ("inv-no@client", "decline")):
        payload = {"ics": _invite(uid, start), "attendee": OWNER, "answer": answer}
        await connector.deliver(Delivery(key=uid, connector="calendar", op="answer_invite", payload=payload))
    stored = [Calendar.from_ical(e) for e in radicale.events()]
    assert [str(c.walk("VEVENT")[0]["uid"]) for c in stored] == ["inv-yes@client"]
    assert "METHOD" not in stored[0]
    attendee = stored[0].walk("VEVENT")[0]["attendee"]
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
