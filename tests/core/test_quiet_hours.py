"""Quiet hours hold questions to the owner until morning, in the owner's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.effects.quiet_hours import quiet_until
from bot.owner import OwnerProfile

BERLIN = ZoneInfo("Europe/Berlin")
OWNER = OwnerProfile(timezone="Europe/Berlin", quiet_hours=("22:00", "07:00"))


def at(*args: int) -> float:
    return datetime(*args, tzinfo=BERLIN).timestamp()


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (at(2026, 11, 25, 21, 59), 0.0),
        (at(2026, 11, 25, 22, 0), at(2026, 11, 26, 7, 0)),
        (at(2026, 11, 26, 3, 30), at(2026, 11, 26, 7, 0)),
        (at(2026, 11, 26, 7, 0), 0.0),
        (at(2026, 11, 26, 12, 0), 0.0),
        # The night clocks go back (2026-10-25): 07:00 local is still 07:00 local.
        (at(2026, 10, 24, 23, 0), at(2026, 10, 25, 7, 0)),
    ],
)
def test_quiet_until(now: float, until: float) -> None:
    assert quiet_until(OWNER, now=now) == until


def test_daytime_window_and_none() -> None:
    lunch = OwnerProfile(timezone="UTC", quiet_hours=("12:00", "13:00"))
    assert quiet_until(lunch, now=datetime(2026, 1, 1, 12, 30, tzinfo=ZoneInfo("UTC")).timestamp()) > 0
    assert quiet_until(OwnerProfile(), now=at(2026, 11, 26, 3, 0)) == 0.0
