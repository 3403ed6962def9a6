"""Settings of a CalDAV calendar channel (``[channels.calendar] type = "caldav"``)."""

from __future__ import annotations

import re
from datetime import time

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _clock(value: str) -> time:
    if not re.fullmatch(r"\d{2}:\d{2}", value):
        raise ValueError(f"expected HH:MM, got {value!r}")
    return time.fromisoformat(value)


class CalDavSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    url: str  # the server or the calendar collection, e.g. "https://dav.example.com/alex/work/"
    username: str = ""
    password_env: str = ""  # the environment variable holding the password ("" = none)
    calendar: str = ""  # a calendar's name or URL; "" = the account's first calendar
    working_hours: list[str] = Field(default_factory=lambda: ["09:00", "17:00"])  # owner's time zone
    working_days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])  # ISO: Monday = 1
    slot_minutes: int = Field(default=30, ge=5, le=480)
    offer: int = Field(default=3, ge=1, le=9)  # slots a reply offers
    days_ahead: int = Field(default=7, ge=1, le=60)
    notice_hours: float = Field(default=12.0, ge=0)  # no slot sooner than this
    refresh_seconds: float = Field(default=60.0, ge=1)  # how often the free slots are read again
    timeout_seconds: float = Field(default=15.0, gt=0)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must start with http:// or https:// and name a host")
        return value

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: list[str]) -> list[str]:
        if len(value) != 2 or _clock(value[0]) >= _clock(value[1]):
            raise ValueError('expected ["HH:MM", "HH:MM"] with the start before the end')
        return value

    @field_validator("working_days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if not value or any(d < 1 or d > 7 for d in value):
            raise ValueError("expected ISO weekdays 1 (Monday) to 7 (Sunday)")
        return value

    @property
    def day_start(self) -> time:
        return _clock(self.working_hours[0])

    @property
    def day_end(self) -> time:
        return _clock(self.working_hours[1])
