"""A transient database fault never kills a loop for good: every long-lived loop is
supervised, retried with backoff, the owner told once, and the daemon's health says
which part is degraded and when it recovers.

The faults are real: a second sqlite3 connection holding ``BEGIN IMMEDIATE`` longer
than the daemon's busy timeout ("database is locked"), and a full disk: a tiny tmpfs
filled to the last byte (root only), or else a real ``sqlite3.OperationalError("database
or disk is full")`` raised by the fault hook at the commit point."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot import faults
from bot.app import Deputy
from bot.cli import main
from bot.config import load
from bot.store import Store
from tests.core.conftest import RecordingChannel, make_home
from tests.core.helpers import mail


async def until(cond: Callable[[], bool], *, within: float = 20.0) -> None:
    async def wait() -> None:
        while not cond():  # noqa: ASYNC110 (polling another component's state)
            await asyncio.sleep(0.02)

    await asyncio.wait_for(wait(), within)


@contextlib.asynccontextmanager
async def started(cfg: Path) -> AsyncIterator[tuple[Deputy, RecordingChannel]]:
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    # A short busy timeout, so a lock held for a second outlasts it (the daemon's is 10 s).
    deputy.store = Store(deputy.settings.db_path, busy_timeout=0.2)
    await deputy.start()
    try:
        yield deputy, channel
    finally:
        await asyncio.wait_for(deputy.stop(), 30)


def outage_notices(deputy: Deputy) -> list[sqlite3.Row]:
    conn = sqlite3.connect(deputy.settings.db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(
            "SELECT key, payload FROM outbox WHERE key LIKE 'outage%' ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()


def console_outages(deputy: Deputy) -> int:
    path = deputy.settings.data_dir / "owner.log"
    return path.read_text(encoding="utf-8").count("stopped working") if path.exists() else 0


async def test_write_lock_held_past_the_busy_timeout_stalls_nothing_for_good(tmp_path: Path) -> None:
    async with started(make_home(tmp_path)) as (deputy, channel):
        other = sqlite3.connect(deputy.settings.db_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            # The idle claims of the workers and the sender fail with "database is locked".
            await until(lambda: not deputy.health.part("workers").ok and not deputy.health.part("sender").ok)
            assert "database is locked" in deputy.health.part("workers").reason
            await asyncio.sleep(1.0)  # several retries while the lock is held
        finally:
            other.execute("COMMIT")
            other.close()
        await until(lambda: deputy.health.all_ok())
        assert await deputy.emit(
            mail(sender="ap@acme-supplies.com", subject="Invoice 7", text="Total due: 80.00 EUR")
        )
        await deputy.drain()
        assert [d.payload["subject"] for d in channel.sends()] == ["Re: Invoice 7"]
        # Told once: the console log while the database was locked, then one notice
        # through the outbox when it worked again (not one per part, not one per retry).
        await until(lambda: len(outage_notices(deputy)) == 1)
        assert console_outages(deputy) == 1
        [notice] = outage_notices(deputy)
        text = json.loads(notice["payload"])["text"]
        assert "database is locked" in text and "works again" in text
        await deputy.drain()
        assert main(["status", "--config", str(tmp_path / "config.toml")]) == 0  # all parts ok
    assert main(["status", "--config", str(tmp_path / "config.toml")]) == 1  # stopped


async def test_status_names_the_degraded_part(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = make_home(tmp_path)
    async with started(cfg) as (deputy, _):
        other = sqlite3.connect(deputy.settings.db_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            await until(lambda: not deputy.health.part("sender").ok)
            capsys.readouterr()
            assert main(["status", "--config", str(cfg)]) == 5
            out = capsys.readouterr().out
            assert "sender" in out and "DEGRADED" in out and "database is locked" in out
        finally:
            other.execute("COMMIT")
            other.close()
        await until(lambda: deputy.health.all_ok())


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs (a real ENOSPC): root only, skipped elsewhere (the hook test covers it)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 512)
    finally:
        os.close(fd)
    return filler


async def test_full_disk_recovers_when_space_returns(tmp_path: Path, tiny_disk: Path) -> None:
    cfg = make_home(tmp_path)
    cfg.write_text(cfg.read_text().replace('data_dir = "data"', f'data_dir = "{tiny_disk}"'))
    async with started(cfg) as (deputy, channel):
        filler = fill(tiny_disk)
        # A mail that arrives must be written: the insert fails (its source keeps it and
        # delivers it again), and the claims that follow fail at their COMMIT.
        invoice = mail(sender="ap@acme-supplies.com", subject="Invoice 9", text="Total due: 80.00 EUR")
        with pytest.raises(sqlite3.OperationalError, match="full"):
            for _ in range(200):  # until the WAL cannot grow
                await deputy.emit(invoice)
                invoice = mail(
                    sender="ap@acme-supplies.com", subject="Invoice 9", text="Total due: 80.00 EUR"
                )
        await until(lambda: not deputy.health.all_ok())
        degraded = [p for p in deputy.health.snapshot() if not p.ok]
        assert any("full" in p.reason for p in degraded), degraded
        await asyncio.sleep(0.5)
        filler.unlink()
        await deputy.emit(invoice)  # delivered again by its source
        await deputy.drain()
        await until(lambda: deputy.health.all_ok())
        assert {d.payload["subject"] for d in channel.sends()} == {"Re: Invoice 9"}
        await until(lambda: len(outage_notices(deputy)) == 1)
        assert "full" in json.loads(outage_notices(deputy)[0]["payload"])["text"]


async def test_disk_full_at_commit_is_retried_and_told_once(tmp_path: Path) -> None:
    async with started(make_home(tmp_path)) as (deputy, channel):
        full = sqlite3.OperationalError("database or disk is full")
        faults.inject("commit", full, times=8)  # the next 8 COMMITs fail, whoever makes them
        try:
            await until(lambda: not deputy.health.all_ok())
            await until(lambda: faults.remaining("commit") == 0)
        finally:
            faults.clear()
        await until(lambda: deputy.health.all_ok())
        assert await deputy.emit(
            mail(sender="ap@acme-supplies.com", subject="Invoice 8", text="Total due: 80.00 EUR")
        )
        await deputy.drain()
        assert [d.payload["subject"] for d in channel.sends()] == ["Re: Invoice 8"]
        await until(lambda: len(outage_notices(deputy)) == 1)
        assert "database or disk is full" in json.loads(outage_notices(deputy)[0]["payload"])["text"]


def test_status_without_a_daemon_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = make_home(tmp_path)
    assert main(["status", "--config", str(cfg)]) == 1
    assert "not running" in capsys.readouterr().out
