"""A mailbox that refuses Deputy's login is not a silent failure: the daemon tells the
owner (at most once a day per channel) and keeps running its other channels."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import make_home


async def test_refused_login_reaches_the_owner(
    dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPUTY_TEST_IMAP_PASSWORD", "definitely-wrong")
    cfg = make_home(
        tmp_path,
        extra_config=(
            '[channels.email]\ntype = "email"\nimap_host = "127.0.0.1"\n'
            f'imap_port = {dovecot.port}\nimap_security = "none"\nusername = "deputy"\n'
            'password_env = "DEPUTY_TEST_IMAP_PASSWORD"\nsmtp_host = "127.0.0.1"\nsmtp_port = 1\n'
            'smtp_security = "none"\naddress = "deputy@localhost"\n'
        ),
    )
    deputy = Deputy(load(cfg))
    await deputy.start()
    try:
        for _ in range(200):
            rows = await deputy.store.db.fetchall(
                "SELECT payload FROM outbox WHERE key LIKE 'channel-failed:email:%'"
            )
            if rows:
                break
            await asyncio.sleep(0.05)
        assert len(rows) == 1 and "Channel email cannot work" in rows[0][0]
    finally:
        await deputy.stop()
