"""Shared builders for the email tests (module name unique: tests dirs are not packages)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.events import Event
from bot.owner import OwnerProfile
from connectors.email.parse import ParseResult, parse_message

AUTHSERV = "mx.deputy.test"
OWNER = OwnerProfile(name="Olive Owner", emails=("owner@example.com", "olive@mail.example.org"))
OWN = ("deputy@deputy.test",)
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def raw(headers: str, body: str = "hello\n") -> bytes:
    """Headers as text lines; CRLF line ends as on the wire."""
    text = headers.strip("\n") + "\n\n" + body
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def parse(data: bytes, **kw: object) -> ParseResult:
    options: dict[str, object] = {
        "connector": "email",
        "own_addresses": OWN,
        "owner": OWNER,
        "received_at": NOW,
        "authserv_id": AUTHSERV,
    }
    options.update(kw)
    return parse_message(data, **options)  # type: ignore[arg-type]


def event(data: bytes, **kw: object) -> Event:
    result = parse(data, **kw)
    assert result.event is not None, result.quarantine_reason
    return result.event
