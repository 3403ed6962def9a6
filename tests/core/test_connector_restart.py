"""A connector's intake loop that dies of an exception it did not expect is started again
with backoff: the daemon against a loopback Bot API server whose getUpdates answers, for a
while, with an update python-telegram-bot cannot read (KeyError, not a TelegramError).

Before, the polling task died for good (marked degraded, never restarted): nothing sent
to the bot was handled until a restart. Now the part is degraded while the server is
broken (``deputy status`` names it), the loop restarts with backoff, what arrived meanwhile
is handled once the server is fixed, and the owner hears once that it stopped and once
that it works again."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.backoff import Backoff
from bot.cli import main
from bot.config import load
from bot.health import Health
from bot.supervisor import Restartable, Supervisor
from tests.core.conftest import make_home
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456:restart-telegram-token-value"
OWNER = 4242
STRANGER, LATE, AFTER = 777, 778, 779  # one chat each: a repeat in a chat is asked, not answered
PART = "telegram.intake"


async def until(cond: Callable[[], bool], *, within: float = 30.0) -> None:
    async def wait() -> None:
        while not cond():  # noqa: ASYNC110 (polling another component's state)
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait(), within)


@pytest.fixture
async def tg(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    monkeypatch.setenv("DEPUTY_TELEGRAM_TOKEN", TOKEN)
    fake = FakeTelegram(token=TOKEN)
    fake.known_chats.update({OWNER, STRANGER, LATE, AFTER})
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def home(tmp_path: Path, tg: FakeTelegram) -> Path:
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
        .replace("# identities.telegram = 123456789", f"identities.telegram = {OWNER}")
        .replace('quiet_hours = ["22:00", "07:00"]', ""),
        encoding="utf-8",
    )
    return cfg


def texts_to(tg: FakeTelegram, chat: int) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in tg.calls_to("sendMessage")
        if str(c.params.get("chat_id")) == str(chat)
    ]


def outage_notices(deputy: Deputy) -> list[str]:
    conn = sqlite3.connect(deputy.settings.db_path)
    try:
        rows = conn.execute("SELECT payload FROM outbox WHERE key LIKE 'outage%' ORDER BY seq").fetchall()
    finally:
        conn.close()
    return [json.loads(payload)["text"] for (payload,) in rows]


async def test_a_dead_polling_loop_is_restarted_and_told_once(
    home: Path, tg: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    deputy = Deputy(load(home))
    await deputy.start()
    try:
        stranger = tg.user(STRANGER, "Sam")
        await tg.private_message(stranger, "What are your opening hours?")
        await until(lambda: len(texts_to(tg, STRANGER)) == 1)

        tg.garbled = True  # the server is broken: every getUpdates kills the loop
        await until(lambda: not deputy.health.part(PART).ok)
        assert "KeyError" in deputy.health.part(PART).reason
        polls = len(tg.calls_to("getUpdates"))
        await tg.private_message(tg.user(LATE, "Lee"), "What are your opening hours?")  # waits
        await until(lambda: len(tg.calls_to("getUpdates")) >= polls + 2)  # restarted, died again
        capsys.readouterr()
        assert main(["status", "--config", str(home)]) == 5
        out = capsys.readouterr().out
        assert PART in out and "DEGRADED" in out and "KeyError" in out
        assert not deputy.health.part(PART).ok  # still down while the server is broken

        tg.garbled = False  # the server is fixed: the next restart works
        await until(lambda: len(texts_to(tg, LATE)) == 1)  # what arrived meanwhile
        await until(lambda: deputy.health.all_ok())
        await tg.private_message(tg.user(AFTER, "Ari"), "What are your opening hours?")
        await until(lambda: len(texts_to(tg, AFTER)) == 1)
        await until(lambda: len(outage_notices(deputy)) == 2)
        await asyncio.sleep(1.0)  # nothing more comes: not one notice per restart
        began, over = outage_notices(deputy)
        assert PART in began and "stopped working" in began and "KeyError" in began
        assert PART in over and "works again" in over
        owner_texts = texts_to(tg, OWNER)
        assert sum("stopped working" in t for t in owner_texts) == 1
        assert sum("works again" in t for t in owner_texts) == 1
        capsys.readouterr()
        assert main(["status", "--config", str(home)]) == 0
        assert [len(texts_to(tg, chat)) for chat in (STRANGER, LATE, AFTER)] == [1, 1, 1]
    finally:
        await asyncio.wait_for(deputy.stop(), 30)


async def test_a_stop_during_the_restart_backoff_does_not_wait_it_out() -> None:
    """A loop that died waits an hour before its restart; its connector stops meanwhile:
    the supervisor returns at the stop and never starts the loop again."""
    starts: list[int] = []
    stopping = asyncio.Event()

    async def run() -> None:
        starts.append(1)
        raise KeyError("date")

    health = Health()
    supervisor = Supervisor(
        part="x.intake",
        loop=Restartable(run),
        health=health,
        settle=3.0,
        backoff=Backoff(base=3600.0, cap=3600.0, rng=random.Random(1)),
        stopping=stopping,
    )
    task = asyncio.create_task(supervisor.run())
    await until(lambda: not health.part("x.intake").ok)
    stopping.set()
    await asyncio.wait_for(task, 10)  # a hang guard: the backoff alone would be minutes
    assert starts == [1] and not task.cancelled()
