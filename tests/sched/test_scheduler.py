"""The scheduler against a real Store with an injected clock: one digest per local day
(downtime, DST, restarts) and timers that fire exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.owner import OwnerProfile
from bot.pipeline.scheduler import Scheduler, digest_event
from bot.rules.model import Rulebook
from bot.store import Store

BERLIN = ZoneInfo("Europe/Berlin")


class Clock:
    """Both clocks move together: time passes, the wall clock is never stepped."""

    def __init__(self, start: float) -> None:
        self.now = start

    def wall(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0, *, fold: int = 0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN, fold=fold).timestamp()


def book(digest_time: str) -> Callable[[], Rulebook]:
    rulebook = Rulebook(owner=OwnerProfile(timezone="Europe/Berlin", digest_time=digest_time), rules=())
    return lambda: rulebook


async def open_scheduler(db: Path, clock: Clock, digest_time: str = "08:00") -> tuple[Store, Scheduler]:
    store = Store(db)
    await store.open()
    scheduler = Scheduler(store=store, rulebook=book(digest_time), wake_workers=lambda: None, clock=clock)
    return store, scheduler


async def digest_days(store: Store) -> list[str]:
    rows = await store.db.fetchall("SELECT id FROM inbox WHERE kind='digest_due' ORDER BY seq")
    return [r["id"].removeprefix("scheduler:digest:") for r in rows]


async def test_downtime_over_the_digest_hour_catches_up_once(tmp_path: Path) -> None:
    clock = Clock(local(2026, 6, 10, 6, 50))
    store, scheduler = await open_scheduler(tmp_path / "d.db", clock)
    try:
        assert await scheduler.tick() == 0  # before 08:00: nothing
        clock.now = local(2026, 6, 10, 11, 0)  # no tick between 07:00 and 09:00
        assert await scheduler.tick() == 1
        for minutes in range(10, 600, 10):
            clock.now = local(2026, 6, 10, 11, 0) + minutes * 60
            assert await scheduler.tick() == 0
        assert await digest_days(store) == ["2026-06-10"]
    finally:
        await store.close()


async def _ticks_every_10_minutes(tmp_path: Path, start: float, days: int, digest_time: str) -> list[str]:
    clock = Clock(start)
    store, scheduler = await open_scheduler(tmp_path / "dst.db", clock, digest_time)
    try:
        for step in range(days * 24 * 6):
            clock.now = start + step * 600
            await scheduler.tick()
        return await digest_days(store)
    finally:
        await store.close()


async def test_dst_spring_forward_digest_inside_the_skipped_hour(tmp_path: Path) -> None:
    # 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 never happens on that day.
    days = await _ticks_every_10_minutes(tmp_path, local(2026, 3, 28, 0, 5), 3, "02:30")
    assert days == ["2026-03-28", "2026-03-29", "2026-03-30"]


async def test_dst_fall_back_digest_inside_the_repeated_hour(tmp_path: Path) -> None:
    # 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice on that day.
    days = await _ticks_every_10_minutes(tmp_path, local(2026, 10, 24, 0, 5), 3, "02:30")
    assert days == ["2026-10-24", "2026-10-25", "2026-10-26"]


async def test_dst_digest_around_the_shifted_hour(tmp_path: Path) -> None:
    for digest_time in ("01:55", "02:00", "03:00", "03:05"):
        for start in (local(2026, 3, 28, 0, 5), local(2026, 10, 24, 0, 5)):
            path = tmp_path / f"{digest_time.replace(':', '')}-{int(start)}"
            path.mkdir()
            days = await _ticks_every_10_minutes(path, start, 3, digest_time)
            first = datetime.fromtimestamp(start, BERLIN).date()
            assert days == [(first + timedelta(days=n)).isoformat() for n in range(3)], digest_time


def test_digest_event_in_the_repeated_hour_has_one_key() -> None:
    first = digest_event(local(2026, 10, 25, 2, 30, fold=0), timezone="Europe/Berlin", digest_time="02:30")
    second = digest_event(local(2026, 10, 25, 2, 30, fold=1), timezone="Europe/Berlin", digest_time="02:30")
    assert first is not None and second is not None and first.id == second.id


async def test_two_restarts_in_one_day_still_one_digest(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    times = [local(2026, 6, 10, 8, 5), local(2026, 6, 10, 12, 0), local(2026, 6, 10, 23, 59)]
    for now in times:  # each: a new Store and Scheduler on the same database
        clock = Clock(now)
        store, scheduler = await open_scheduler(db, clock)
        try:
            await scheduler.tick()
            clock.now += 60
            await scheduler.tick()
        finally:
            await store.close()
    store, _ = await open_scheduler(db, Clock(0))
    try:
        assert await digest_days(store) == ["2026-06-10"]
    finally:
        await store.close()


async def _add_timer(store: Store, key: str, due_at: float, kind: str = "follow_up") -> None:
    async with store.db.transaction() as tx:
        await store.timers.add_in(tx, key=key, due_at=due_at, kind=kind, payload={"thread": key})


async def test_timer_fires_exactly_once_across_ticks_and_restarts(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    due = local(2026, 6, 10, 9, 0)
    clock = Clock(due - 600)
    store, scheduler = await open_scheduler(db, clock)
    scheduler.digest_enabled = False
    try:
        await _add_timer(store, "t1", due)
        await _add_timer(store, "t1", due + 999)  # same key again: ignored
        assert await scheduler.tick() == 0  # not yet due
        assert await store.timers.next_due_at() == due
        clock.now = due
        assert await scheduler.tick() == 1
        assert await scheduler.tick() == 0
        assert await store.timers.next_due_at() is None
    finally:
        await store.close()
    for restart in range(2):
        clock = Clock(due + 3600 * (restart + 1))
        store, scheduler = await open_scheduler(db, clock)
        scheduler.digest_enabled = False
        try:
            assert await scheduler.tick() == 0
        finally:
            await store.close()
    store, _ = await open_scheduler(db, Clock(0))
    try:
        rows = await store.db.fetchall("SELECT id, kind FROM inbox")
        assert [(r["id"], r["kind"]) for r in rows] == [("timer:t1", "timer_due")]
    finally:
        await store.close()


async def test_cancelled_timer_never_fires(tmp_path: Path) -> None:
    clock = Clock(local(2026, 6, 10, 9, 0))
    store, scheduler = await open_scheduler(tmp_path / "c.db", clock)
    scheduler.digest_enabled = False
    try:
        await _add_timer(store, "esc-remind:7:0", clock.now - 1, "escalation_reminder")
        await _add_timer(store, "esc-deadline:7", clock.now - 1, "escalation_deadline")
        async with store.db.transaction() as tx:
            await store.timers.cancel_in(tx, key_prefix="esc-remind:7:")
        assert await scheduler.tick() == 1
        rows = await store.db.fetchall("SELECT id FROM inbox")
        assert [r["id"] for r in rows] == ["timer:esc-deadline:7"]
    finally:
        await store.close()
