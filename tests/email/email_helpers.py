"""Shared builders for the email tests (module name unique: tests dirs are not packages)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aioimaplib

from bot.channels.contract import ConnectorRuntime
from bot.events import Event
from bot.owner import OwnerProfile
from connectors.email import EmailConnector, EmailSettings, create
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


# --- integration helpers --------------------------------------------------------


class MemoryState:
    """The runtime's key/value state, in memory (the core's is SQLite)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.data.get(key)

    async def set(self, key: str, value: str) -> None:
        self.data[key] = value


class Inbox:
    """INSERT OR IGNORE on the event id, like the core's inbox."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.emitted: list[str] = []

    async def emit(self, ev: Event) -> bool:
        self.emitted.append(ev.id)
        if any(e.id == ev.id for e in self.events):
            return False
        self.events.append(ev)
        return True


def message(i: int, *, subject: str = "", body: str = "hello") -> bytes:
    return raw(
        f"From: Alice <alice@example.org>\nTo: deputy@deputy.test\n"
        f"Subject: {subject or f'message {i}'}\nMessage-ID: <m{i}@example.org>",
        body + "\n",
    )


async def imap_login(server: Any) -> aioimaplib.IMAP4:
    client = aioimaplib.IMAP4(port=server.port, timeout=30)
    await client.wait_hello_from_server()
    await client.login("deputy", server.password)
    return client


async def append(server: Any, data: bytes, *, mailbox: str = "INBOX") -> None:
    """APPEND from a second, independent client (as an MTA's delivery would appear)."""
    client = await imap_login(server)
    try:
        response = await client.append(data, mailbox=mailbox)
        assert response.result == "OK", response
    finally:
        await client.logout()


async def wait_until(predicate: Callable[[], bool], *, limit: float = 30.0) -> None:
    """Bounded wait for a condition: a hang fails the test; speed is never asserted."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


def make_connector(
    server: Any,
    tmp_path: Path,
    *,
    state: MemoryState | None = None,
    password: str | None = None,
    smtp: Any = None,
    on_auth_failed: Callable[[str], Awaitable[None]] | None = None,
    **overrides: Any,
) -> tuple[EmailConnector, MemoryState]:
    import os

    os.environ["DEPUTY_TEST_IMAP_PASSWORD"] = password or server.password
    settings: dict[str, Any] = {
        "imap_host": "127.0.0.1",
        "imap_port": server.port,
        "imap_security": "none",
        "username": "deputy",
        "password_env": "DEPUTY_TEST_IMAP_PASSWORD",
        "smtp_host": smtp.host if smtp else "127.0.0.1",
        "smtp_port": smtp.port if smtp else 1,
        "smtp_security": "none",
        "address": "deputy@deputy.test",
        "from_name": "Olive's Deputy",
        "authserv_id": AUTHSERV,
        "command_timeout_seconds": 10,
        "reconnect_max_seconds": 1,
        "attachments_dir": str(tmp_path / "attachments"),
    }
    settings.update(overrides)
    state = state or MemoryState()
    tasks: list[asyncio.Task[Any]] = []

    def spawn(coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        tasks.append(task)
        return task

    runtime = ConnectorRuntime(
        name="email",
        data_dir=tmp_path,
        owner=OWNER,
        state=state,
        own_addresses=OWN,
        spawn=spawn,
        on_auth_failed=on_auth_failed,
    )
    connector = create(name="email", settings=EmailSettings.model_validate(settings), runtime=runtime)
    return connector, state
