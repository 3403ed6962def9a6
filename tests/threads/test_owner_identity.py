"""Owner identity: only the owner's own words, addressed to Deputy, are commands.

A genuine owner-signed mail to someone else, replayed to Deputy, is not a command; a
Telegram message the owner forwards and a Slack message the owner shares carry someone
else's words, so neither ``pause`` nor ``task:`` in them is obeyed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import Deputy
from bot.config import load
from bot.events import Event
from bot.owner import OwnerProfile
from bot.pipeline.facts_reader import FactsReader
from bot.pipeline.router import Drop, Router
from bot.rules.model import Rulebook
from bot.store import Known
from connectors.email.parse import parse_message
from connectors.slack.parse import Identity as SlackIdentity
from connectors.slack.parse import message_event as slack_message
from tests.core.conftest import make_home
from tests.fakes.telegram_api import FakeTelegram

AUTHSERV = "mx.deputy.test"
OWNER = OwnerProfile(name="Olive Owner", emails=("owner@example.com",))
OWN = ("deputy@deputy.test",)
GOOD_AR = f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=example.com header.s=sel"


def _owner_mail(to: str, body: str, *, cc: str = "") -> Event:
    lines = [
        GOOD_AR,
        "From: Olive <owner@example.com>",
        f"To: {to}",
        "Subject: note",
        "Message-ID: <o1@example.com>",
    ]
    if cc:
        lines.append(f"Cc: {cc}")
    raw = ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()
    result = parse_message(
        raw,
        connector="email",
        own_addresses=OWN,
        owner=OWNER,
        received_at=datetime.now(UTC),
        authserv_id=AUTHSERV,
    )
    assert result.event is not None
    return result.event


REPLAYED = [
    ("carol@client.example", "pause"),
    ("carol@client.example", "task: get quotes from a@x.example, b@y.example"),
    ("carol@client.example", "resume"),
    ("Carol <carol@client.example>", "#1 yes"),
    ("carol@client.example, dave@client.example", "Tell Carol we accept 9000 EUR"),
    ("deputy@deputy.test.evil.example", "pause"),
    ("deputy@evil.example", "pause"),
    ("undisclosed-recipients:;", "pause"),
]


class _NoEscalations:
    async def get(self, _id: int) -> None:
        return None

    async def by_prompt_ref(self, *_a: str) -> None:
        return None

    async def by_prompt_ref_any(self, *_a: str) -> None:
        return None


class _NothingKnown:
    """No store behind this router: nothing is known of earlier messages."""

    async def known(self, **_kw: object) -> Known:
        return Known()


def _router() -> Router:
    return Router(
        escalations=_NoEscalations(),  # type: ignore[arg-type]
        own_addresses=frozenset(OWN),
        facts=FactsReader(_NothingKnown()),  # type: ignore[arg-type]
    )


def _rulebook() -> Rulebook:
    return Rulebook(rules=(), owner=OWNER)


@pytest.mark.parametrize(("to", "body"), REPLAYED)
async def test_replayed_owner_mail_is_never_a_command(to: str, body: str) -> None:
    event = _owner_mail(to, body)
    assert not event.sender_verified_owner and event.kind == "message"
    route = await _router().route(event, _rulebook(), today=datetime.now(UTC).date())
    assert isinstance(route, Drop)


@pytest.mark.parametrize(
    ("to", "cc"),
    [("deputy@deputy.test", ""), ("carol@client.example", "deputy@deputy.test"), ("DEPUTY@deputy.test", "")],
)
async def test_owner_mail_addressed_to_deputy_is_a_command(to: str, cc: str) -> None:
    event = _owner_mail(to, "pause", cc=cc)
    assert event.sender_verified_owner and event.kind == "owner_message"


# ----- Slack: a shared message is never a command -------------------------------------------
SLACK = SlackIdentity(connector="slack", owner_user="UOWNER", owner_team="T1", bot_user="UBOT")


def _slack(text: str, attachments: list[dict[str, Any]], n: int) -> Event | None:
    body = {
        "event_id": f"Ev{n}",
        "team_id": "T1",
        "event_time": time.time(),
        "event": {
            "type": "message",
            "user": "UOWNER",
            "team": "T1",
            "channel": "D1",
            "channel_type": "im",
            "ts": f"{1700000000 + n}.000100",
            "text": text,
            "attachments": attachments,
        },
    }
    return slack_message(body, ident=SLACK, prompt_reply=False)


SHARES = [
    ("", [{"is_share": True, "is_msg_unfurl": True, "text": "pause", "author_id": "UOTHER"}]),
    ("pause", [{"is_msg_unfurl": True, "text": "look", "from_url": "https://x.slack.com/archives/C1/p1"}]),
    ("task: get quotes from a@x.example", [{"is_share": True, "text": "quotes"}]),
    ("resume", [{"is_forwarded": True, "text": "resume"}]),
]


@pytest.mark.parametrize(("text", "attachments"), SHARES)
async def test_slack_shared_message_is_never_a_command(text: str, attachments: list[dict[str, Any]]) -> None:
    event = _slack(text, attachments, len(text))
    assert event is not None and not event.sender_verified_owner
    route = await _router().route(event, _rulebook(), today=datetime.now(UTC).date())
    assert isinstance(route, Drop)


async def test_slack_owner_dm_without_share_is_still_a_command() -> None:
    event = _slack("pause", [], 99)
    assert event is not None and event.sender_verified_owner and event.kind == "owner_message"


# ----- Telegram through the daemon: a forwarded "pause" pauses nothing ----------------------
TOKEN = "123456:canary-telegram-token-value"
TG_OWNER = 4242


@pytest.fixture
async def tg(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    monkeypatch.setenv("DEPUTY_TELEGRAM_TOKEN", TOKEN)
    fake = FakeTelegram(token=TOKEN)
    fake.known_chats.add(TG_OWNER)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def tg_deputy(tmp_path: Path, tg: FakeTelegram) -> AsyncIterator[Deputy]:
    cfg = make_home(
        tmp_path,
        extra_config=(
            f'[channels.telegram]\ntype = "telegram"\nbase_url = "{tg.base_url}"\npoll_timeout = 1\n'
        ),
    )
    owner_md = tmp_path / "rules" / "owner.md"
    owner_md.write_text(
        owner_md.read_text()
        .replace('preferred_channel = "cli"', 'preferred_channel = "telegram"')
        .replace("# identities.telegram = 123456789", f"identities.telegram = {TG_OWNER}")
        .replace('quiet_hours = ["22:00", "07:00"]', ""),
        encoding="utf-8",
    )
    daemon = Deputy(load(cfg))
    await daemon.start()
    yield daemon
    await daemon.stop()


async def _inject_owner(tg: FakeTelegram, text: str, **forward: Any) -> int:
    user = tg.user(TG_OWNER, "Olive")
    chat = {"id": TG_OWNER, "type": "private", "first_name": "Olive"}
    message = {
        "message_id": 9000 + len(tg.messages),
        "from": user,
        "chat": chat,
        "date": int(time.time()),
        "text": text,
        **forward,
    }
    tg.messages[(TG_OWNER, message["message_id"])] = message
    return await tg.inject("message", message)


async def _settled(deputy: Deputy, n: int) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        counts = await deputy.store.inbox.counts()
        if (
            counts.get("done", 0) + counts.get("quarantined", 0) >= n
            and not await deputy.store.inbox.has_pending()
        ):
            return
        if loop.time() > deadline:
            raise AssertionError(f"not settled: {counts}")
        await asyncio.sleep(0.05)


NOW = int(time.time())
FORWARDS: list[dict[str, Any]] = [
    {
        "forward_origin": {
            "type": "user",
            "date": NOW,
            "sender_user": {"id": 55, "is_bot": False, "first_name": "Eve"},
        }
    },
    {"forward_origin": {"type": "hidden_user", "date": NOW, "sender_user_name": "Eve"}},
    {
        "forward_origin": {
            "type": "channel",
            "date": NOW,
            "chat": {"id": -1001, "type": "channel"},
            "message_id": 3,
        }
    },
    {"forward_from": {"id": 55, "is_bot": False, "first_name": "Eve"}, "forward_date": NOW},
    {"forward_sender_name": "Eve", "forward_date": NOW},
]


@pytest.mark.parametrize("command", ["pause", "/pause", "task: get quotes from a@x.example, b@y.example"])
@pytest.mark.parametrize("forward", FORWARDS)
async def test_forwarded_telegram_message_is_never_a_command(
    tg_deputy: Deputy, tg: FakeTelegram, forward: dict[str, Any], command: str
) -> None:
    await _inject_owner(tg, command, **forward)
    await _settled(tg_deputy, 1)
    assert await tg_deputy.store.kv.get("paused") != "1"
    rows = await tg_deputy.store.db.fetchall("SELECT id FROM tasks")
    assert rows == []
    audit = await tg_deputy.store.db.fetchall("SELECT outcome, reasons FROM audit")
    assert [a["outcome"] for a in audit] == ["ignored"] and "note" in audit[0]["reasons"]


async def test_the_owners_own_pause_still_pauses(tg_deputy: Deputy, tg: FakeTelegram) -> None:
    await _inject_owner(tg, "pause")
    await _settled(tg_deputy, 1)
    assert await tg_deputy.store.kv.get("paused") == "1"
