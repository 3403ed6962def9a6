"""A relay that answers 451 for minutes loses no reply: deliveries are retried by age
(``[delivery] give_up_after``, ``warn_after``), the owner is told once when one is late
and once more only if it is given up.

A real aiosmtpd server answers 451 to DATA; the sender's wall clock is a fake that moves
20 s ahead at every attempt (and with real time otherwise), so "three minutes of 451"
takes a fraction of a second and nothing asserts on wall-clock time. The old sender gave
up after 8 attempts (104 s in the field report): the first test failed with it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DovecotServer, SmtpServer
from email_helpers import make_connector

from bot.channels.registry import ChannelRegistry
from bot.config import Settings, load
from bot.delivery import OutboundMessage, message_id_for
from bot.effects.delivery_policy import DeliveryPolicy
from bot.effects.owner_messages import OwnerRows
from bot.effects.sender import Sender
from bot.errors import ConfigError
from bot.owner import OwnerProfile
from bot.store import OutboxRow, Store

OWNER = OwnerProfile(preferred_channel="cli", emails=())
STEP = 20.0  # fake seconds per attempt


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = Store(tmp_path / "deputy.db")
    await s.open()
    try:
        yield s
    finally:
        await s.close()


class RelayClock:
    """Wall time that runs ahead by ``STEP`` at each DATA the relay sees."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead

    def attempt(self) -> None:
        self.ahead += STEP


class Console:
    """The owner's console channel: records what the owner was told."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def start(self, emit: Any) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(self, delivery: Any) -> dict[str, str]:
        self.texts.append(str(delivery.payload.get("text", "")))
        return {}


async def run_sender(
    store: Store,
    smtp: SmtpServer,
    dovecot: DovecotServer,
    tmp_path: Path,
    *,
    refusals: int,
    policy: DeliveryPolicy,
) -> tuple[Console, dict[str, Any]]:
    clock = RelayClock()
    refused = 0

    def on_data() -> None:
        nonlocal refused
        clock.attempt()
        if refused < refusals:
            refused += 1
            smtp.recorder.reply_code = "451 4.3.0 try again later"
        else:
            smtp.recorder.reply_code = ""

    smtp.recorder.on_data = on_data
    email, _ = make_connector(dovecot, tmp_path, smtp=smtp)
    console = Console()
    owner_rows = OwnerRows(
        settings=Settings(), channels=ChannelRegistry.of_types({"email": "email", "cli": "cli"})
    )

    async def notice_in(tx: Any, *, key: str, text: str, skip: tuple[str, ...] = (), **_: Any) -> None:
        await owner_rows.owner_notice_in(tx, owner=OWNER, key=key, event_id="system", text=text, skip=skip)

    sender = Sender(
        store=store,
        connectors={"email": email, "cli": console},
        notice_in=notice_in,
        policy=policy,
        clock=clock,
        idle_poll_seconds=0.01,
    )
    message = OutboundMessage(
        to=("Alice <alice@example.org>",),
        subject="Invoice 42",
        text="We will pay this week.",
        message_id=message_id_for("evt-1:reply:0", domain="deputy.test"),
    )
    async with store.db.transaction() as tx:
        await store.outbox.add_in(
            tx,
            OutboxRow(
                key="evt-1:reply:0",
                event_id="evt-1",
                connector="email",
                op="send",
                payload=message.to_payload(),
                thread="email:t1",
            ),
        )
    loop = asyncio.create_task(sender.run())
    try:
        for _ in range(2000):
            got = await store.db.fetchall("SELECT key, state FROM outbox")
            if all(r["state"] in ("sent", "failed") for r in got):
                break
            await asyncio.sleep(0.01)
        await sender.drain()
    finally:
        await sender.stop()
        await loop
        await email.stop()
    row = await store.db.fetchone("SELECT state, attempts, last_error FROM outbox WHERE key='evt-1:reply:0'")
    assert row is not None
    return console, dict(row)


FAST = {"retry_min": 0.001, "retry_max": 0.01}


async def test_three_minutes_of_451_lose_nothing_and_the_owner_hears_once(
    store: Store, smtp_server: SmtpServer, dovecot: DovecotServer, tmp_path: Path
) -> None:
    policy = DeliveryPolicy(give_up_after=5 * 86400, warn_after=120, **FAST)
    console, row = await run_sender(store, smtp_server, dovecot, tmp_path, refusals=9, policy=policy)  # 180 s
    assert row["state"] == "sent" and row["attempts"] == 10
    assert len(smtp_server.recorder.messages) == 1  # delivered once, after the outage
    [late] = console.texts  # one notice, however many retries past warn_after
    assert "is late" in late and "451" in late
    keys = [r["key"] for r in await store.db.fetchall("SELECT key FROM outbox WHERE key != 'evt-1:reply:0'")]
    assert keys == ["delivery-late:evt-1:reply:0"]


async def test_a_relay_that_never_recovers_is_given_up_by_age_told_twice_in_all(
    store: Store, smtp_server: SmtpServer, dovecot: DovecotServer, tmp_path: Path
) -> None:
    policy = DeliveryPolicy(give_up_after=300, warn_after=100, **FAST)
    console, row = await run_sender(store, smtp_server, dovecot, tmp_path, refusals=10_000, policy=policy)
    assert row["state"] == "failed" and "451" in row["last_error"]
    assert smtp_server.recorder.messages == []
    assert row["attempts"] == 300 / STEP  # tried for as long as it may, not 8 times
    assert len(console.texts) == 2
    late, given_up = console.texts
    assert "is late" in late and "gave up" in given_up and "5 min" in given_up


def test_delivery_keys_parse_durations_and_errors_name_the_line(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[delivery]\ngive_up_after = "2d"\nwarn_after = "90m"\nretry_max = 600\n', encoding="utf-8"
    )
    settings = load(cfg)
    assert settings.delivery.give_up_after == 2 * 86400
    assert settings.delivery.warn_after == 90 * 60
    assert settings.delivery.retry_max == 600.0
    assert settings.delivery.retry_min == 1.0  # the default
    defaults = Settings().delivery
    assert (defaults.give_up_after, defaults.warn_after) == (5 * 86400, 4 * 3600)
    cfg.write_text('[deputy]\nworkers = 4\n\n[delivery]\nwarn_after = "4 hours"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load(cfg)
    assert f"{cfg}:5: delivery.warn_after:" in str(err.value) and "'4 hours'" in str(err.value)
