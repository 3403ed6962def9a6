"""Connection caps and idle timeouts on every listener: the local SMTP server closes a
silent connection with 421 and logs it once per burst; the Telegram webhook's HTTP
server, at its cap, closes the idlest connection and still answers a new request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from telegram import Bot

from bot.app import Deputy
from bot.config import load
from connectors.telegram.webhook import WebhookServer
from tests.core.conftest import make_home


@pytest.fixture
async def deputy(tmp_path: Path) -> AsyncIterator[Deputy]:
    cfg = make_home(
        tmp_path,
        extra_config=(
            '[channels.local]\ntype = "local"\nlisten_port = 0\n'
            "idle_timeout_seconds = 0.3\nmax_connections = 5\n"
        ),
    )
    daemon = Deputy(load(cfg))
    await daemon.start()
    yield daemon
    await daemon.stop()


async def test_smtp_closes_silent_connections_with_421_and_logs_once(
    deputy: Deputy, caplog: pytest.LogCaptureFixture
) -> None:
    port = deputy.connectors["local"].port  # type: ignore[attr-defined]
    caplog.set_level(logging.WARNING, logger="deputy.listeners")
    silent = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
    for reader, _ in silent:
        assert (await asyncio.wait_for(reader.readline(), 30)).startswith(b"220 ")
    for reader, writer in silent:
        goodbye = await asyncio.wait_for(reader.read(), 30)  # until the server closes
        assert goodbye.startswith(b"421 4.4.2"), goodbye
        writer.close()
    lines = [r.getMessage() for r in caplog.records if "idle for" in r.getMessage()]
    assert len(lines) == 1, lines


async def test_webhook_at_its_cap_still_answers_a_new_request(caplog: pytest.LogCaptureFixture) -> None:
    async def handle(update: object) -> None:
        return None

    server = WebhookServer(
        listen="127.0.0.1:0",
        path="/telegram",
        secret="s3cret",
        bot=Bot("123:abc"),
        handle=handle,  # type: ignore[arg-type]
        name="telegram",
        max_connections=4,
        idle_timeout=60,
    )
    await server.start()
    caplog.set_level(logging.WARNING, logger="deputy.listeners")
    idle = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(10)]
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{server.port}/telegram"
            async with session.post(url, json={}, timeout=aiohttp.ClientTimeout(total=30)) as response:
                assert response.status == 401  # served: refused for the missing secret
    finally:
        for _, writer in idle:
            writer.close()
        await server.stop()
    lines = [r.getMessage() for r in caplog.records if "closing the idlest" in r.getMessage()]
    assert len(lines) == 1, lines
