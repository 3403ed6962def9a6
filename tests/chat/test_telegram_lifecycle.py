"""Telegram: restart without loss or duplicates, webhook mode, token never logged."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from collections import Counter

import aiohttp
import pytest

from bot.delivery import Delivery, OutboundMessage
from bot.errors import TransientError
from tests.chat.conftest import OWNER_TG, TG_TOKEN, MakeTelegram
from tests.chat.support import Inbox, MemoryState, eventually
from tests.fakes.telegram_api import FakeTelegram

STRANGER = 5550001


async def test_restart_mid_stream_emits_each_update_once(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, tg_state: MemoryState
) -> None:
    inbox = Inbox()
    seen: list[str] = []
    original = inbox.__call__

    async def counting(event: object) -> bool:
        seen.append(event.id)  # type: ignore[attr-defined]
        return await original(event)  # type: ignore[arg-type]

    ids = [await fake_tg.private_message(fake_tg.user(STRANGER), f"m{i}") for i in range(5)]
    first = await make_telegram()
    await first.start(counting)
    await inbox.wait_for(3)
    ids += [await fake_tg.private_message(fake_tg.user(STRANGER), f"m{i}") for i in range(5, 10)]
    await first.stop()
    second = await make_telegram(state=tg_state)
    await second.start(counting)
    events = await inbox.wait_for(10)
    assert [e.id for e in events] == [f"telegram:{i}" for i in ids]
    assert [e.text for e in events] == [f"m{i}" for i in range(10)]
    # Stop drained the update in flight and stored its offset: nothing came twice.
    assert max(Counter(seen).values()) == 1


async def test_webhook_mode_checks_the_secret_token(
    fake_tg: FakeTelegram,
    make_telegram: MakeTelegram,
    inbox: Inbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEPUTY_TELEGRAM_WEBHOOK_SECRET", "hook-secret-123456")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connector = await make_telegram(
        mode="webhook",
        webhook_listen=f"127.0.0.1:{port}",
        webhook_url="https://deputy.example/telegram",
    )
    await connector.start(inbox)
    await eventually(lambda: bool(fake_tg.webhook_url))
    update = {
        "update_id": 77,
        "message": {
            "message_id": 5,
            "date": 1700000000,
            "chat": {"id": OWNER_TG, "type": "private"},
            "from": {"id": OWNER_TG, "is_bot": False, "first_name": "Owner"},
            "text": "hello",
        },
    }
    url = f"http://127.0.0.1:{port}/telegram"
    async with aiohttp.ClientSession() as http:

        async def post(secret: str | None) -> int:
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            for _ in range(200):  # the server may still be binding
                try:
                    async with http.post(url, json=update, headers=headers) as response:
                        return response.status
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.01)
            raise AssertionError("webhook server never came up")

        assert await post(None) == 401
        assert await post("wrong") == 401
        assert inbox.calls == 0
        assert await post("hook-secret-123456") == 200
    (event,) = inbox.events
    assert (event.id, event.kind, event.sender_verified_owner) == (
        "telegram:77",
        "owner_message",
        True,
    )


async def test_token_never_reaches_a_log_record(
    fake_tg: FakeTelegram,
    make_telegram: MakeTelegram,
    inbox: Inbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def everything_at_debug() -> None:
        for name in list(logging.root.manager.loggerDict):
            logging.getLogger(name).setLevel(logging.DEBUG)

    caplog.set_level(logging.DEBUG)
    everything_at_debug()
    connector = await make_telegram()
    everything_at_debug()  # undo the connector quietening httpx: the filter must still hold
    await connector.start(inbox)
    await fake_tg.private_message(fake_tg.user(STRANGER), "hello")
    await inbox.wait_for(1)
    message = OutboundMessage(to=(str(OWNER_TG),), text="hi", refs={"chat_id": str(OWNER_TG)})
    delivery = Delivery(key="k", connector="telegram", op="send", payload=message.to_payload())
    await connector.deliver(delivery)
    fake_tg.fail("sendMessage", status=500)
    with pytest.raises(TransientError) as caught:
        # A new key: the same key again is idempotent (its part is recorded as sent).
        await connector.deliver(dataclasses.replace(delivery, key="k2"))
    assert TG_TOKEN not in str(caught.value)
    await connector.stop()

    # A second connector whose token the server rejects (PTB quotes it in the error).
    fake_tg.token = "different"
    failures: list[str] = []
    rejected = await make_telegram()
    rejected._runtime.on_auth_failed = _collect(failures)
    await rejected.start(inbox)
    await eventually(lambda: bool(failures))
    assert TG_TOKEN not in failures[0]

    assert any("127.0.0.1" in r.getMessage() for r in caplog.records if r.name == "httpx")
    assert any("[redacted]" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert TG_TOKEN not in record.getMessage(), record.name
    assert TG_TOKEN not in caplog.text


def _collect(into: list[str]):  # type: ignore[no-untyped-def]
    async def on_auth_failed(message: str) -> None:
        into.append(message)

    return on_auth_failed


async def test_stop_drains_the_emit_in_flight(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, tg_state: MemoryState
) -> None:
    inbox = Inbox()
    inbox.gate = asyncio.Event()
    connector = await make_telegram()
    await connector.start(inbox)
    update_id = await fake_tg.private_message(fake_tg.user(STRANGER), "in flight")
    await eventually(lambda: inbox.calls == 1)
    stopping = asyncio.create_task(connector.stop())
    await asyncio.sleep(0)
    assert not stopping.done()
    inbox.gate.set()
    await stopping
    assert [e.id for e in inbox.events] == [f"telegram:{update_id}"]
    assert tg_state.values["offset"] == str(update_id + 1)
