"""The console served by a real daemon: in this process for the HTTP-level tests, as a
subprocess for the browser (tests/console/test_browser.py)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import RecordingChannel, make_home


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    deputy: Deputy
    channel: RecordingChannel
    base: str
    config: Path


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    port = free_port()
    cfg = make_home(tmp_path, extra_config=f"[console]\nenabled = true\nport = {port}\n")
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    try:
        yield Served(deputy=deputy, channel=channel, base=f"http://127.0.0.1:{port}", config=cfg)
    finally:
        await asyncio.wait_for(deputy.stop(), 30)


async def logged_in(served: Served) -> tuple[aiohttp.ClientSession, str, str]:
    """(client with a session, the spent login link, the session secret). aiohttp's jar
    keeps a Secure cookie off plain http, so the client is given it outright (browsers
    send it to 127.0.0.1: tests/console/test_browser.py)."""
    from bot.console.auth import COOKIE, issue_login

    link = await issue_login(served.deputy.store, served.deputy.settings)
    async with aiohttp.ClientSession() as login:
        async with login.get(link, allow_redirects=False) as r:
            assert r.status == 303, await r.text()
            session = r.cookies[COOKIE].value
    return aiohttp.ClientSession(cookies={COOKIE: session}), link, session


class Captured(logging.Handler):
    """Every record of every logger, formatted with its arguments and traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
