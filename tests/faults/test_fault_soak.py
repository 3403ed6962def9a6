"""Faults in turn, with normal mail between them, through the daemon's real SMTP listener:
a write lock held by another connection past the busy timeout, a full disk at COMMIT
(``bot/faults.py``), a 3 MB mail of 60,000 MIME parts, and 1,000 idle connections. Each
normal mail is sent as a mail server would (a 4xx answer is retried); at the end every
accepted mail is done with exactly one reply in the outbox Maildir (0 lost, 0 doubled),
every part of the daemon is ok, and the longest event-loop stall is printed per fault
(the daemon's own probe, ``bot/loop_lag.py``, at 10 ms).

The CI tier runs each fault once; ``DEPUTY_SOAK=1`` runs the cycle five times. Not here
(their own tests inject them): the relay answering 451 for 10 minutes
(``tests/email/test_email_retry_by_time.py``) and wall-clock steps
(``tests/sched/test_clock_steps.py``)."""

from __future__ import annotations

import asyncio
import os
import smtplib
import socket
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from email import message_from_bytes
from pathlib import Path

import pytest

from bot import faults
from bot.app import Deputy
from bot.config import load
from bot.loop_lag import LoopLag
from bot.store import Store
from tests.core.conftest import make_home
from tests.core.test_intake_stall import many_parts

ROUNDS = 5 if os.environ.get("DEPUTY_SOAK") == "1" else 1
IDLE = 1_000


async def until(cond: Callable[[], bool], *, within: float = 60.0) -> None:
    async def wait() -> None:
        while not cond():  # noqa: ASYNC110 (polling another component's state)
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait(), within)


@pytest.fixture
async def deputy(tmp_path: Path) -> AsyncIterator[Deputy]:
    cfg = make_home(tmp_path, extra_config='[channels.local]\ntype = "local"\nlisten_port = 0\n')
    daemon = Deputy(load(cfg))
    daemon.store = Store(daemon.settings.db_path, busy_timeout=0.2)  # a held lock outlasts it
    daemon.lag = LoopLag(period=0.01)
    await daemon.start()
    yield daemon
    await asyncio.wait_for(daemon.stop(), 60)


def invoice(n: int) -> bytes:
    return (
        # one sender each: the rule's send budget per correspondent would ask the owner
        f"From: ap{n}@acme-supplies.com\r\nTo: deputy@localhost\r\nSubject: Invoice {n}\r\n"
        f"Message-ID: <soak-{n}@acme>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n"
        "Please find our invoice attached. Total due: 80.00 EUR\r\n"
    ).encode()


def deliver(port: int, data: bytes) -> int:
    """As a mail server would: a 4xx (or a dropped connection) is tried again later.
    Returns how many tries it took."""
    for attempt in range(1, 200):
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
                client.sendmail("ap@acme-supplies.com", ["deputy@localhost"], data)
            return attempt
        except smtplib.SMTPResponseException as exc:
            if not 400 <= exc.smtp_code < 500:
                raise
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            pass
        time.sleep(0.2)
    raise AssertionError("never accepted")


def hold_write_lock(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def release(other: sqlite3.Connection) -> None:
    other.execute("COMMIT")
    other.close()


def close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()


def open_idle(port: int, into: list[socket.socket]) -> None:
    for _ in range(IDLE):
        into.append(socket.create_connection(("127.0.0.1", port), timeout=30))


def replies(deputy: Deputy) -> Counter[str]:
    out: Counter[str] = Counter()
    for path in (deputy.settings.data_dir / "outbox" / "new").glob("*"):
        out[str(message_from_bytes(path.read_bytes()).get("In-Reply-To", "")).strip()] += 1
    return out


async def test_faults_in_turn_lose_nothing_and_stall_nothing(deputy: Deputy) -> None:
    port = deputy.connectors["local"].port  # type: ignore[attr-defined]
    sent: list[int] = []
    stalls: dict[str, float] = {}

    async def normal() -> None:
        n = len(sent)
        await asyncio.to_thread(deliver, port, invoice(n))
        sent.append(n)

    def record(fault: str) -> None:
        stalls[fault] = max(stalls.get(fault, 0.0), deputy.lag.reset())

    await normal()
    deputy.lag.reset()
    for _ in range(ROUNDS):
        # 1. another process holds the write lock past the busy timeout
        # (its sqlite3 calls run off the loop: they may wait for the daemon's own lock)
        other = await asyncio.to_thread(hold_write_lock, deputy.settings.db_path)
        mail = asyncio.ensure_future(normal())
        await until(lambda: not deputy.health.all_ok())
        await asyncio.sleep(1.0)
        await asyncio.to_thread(release, other)
        await mail
        await until(lambda: deputy.health.all_ok())
        record("write lock held")

        # 2. the disk is full at COMMIT: the next 8 commits fail, whoever makes them
        faults.inject("commit", sqlite3.OperationalError("database or disk is full"), times=8)
        try:
            await normal()
            await until(lambda: faults.remaining("commit") == 0)
        finally:
            faults.clear()
        await until(lambda: deputy.health.all_ok())
        record("disk full at commit")

        # 3. one mail of 60,000 MIME parts, with normal mail after it
        big = many_parts(60_000, message_id=f"<soak-parts-{len(sent)}@acme>")
        await asyncio.to_thread(deliver, port, big)
        await normal()
        record("60,000-part mail")

        # 4. 1,000 idle connections: the listener closes the idlest, new mail gets in
        idle: list[socket.socket] = []
        try:
            await asyncio.to_thread(open_idle, port, idle)  # off the loop: the daemon accepts them
            await normal()
        finally:
            await asyncio.to_thread(close_all, idle)
        record(f"{IDLE:,} idle connections")

        await normal()
        record("normal mail")

    await deputy.drain(timeout=120)
    await until(lambda: deputy.health.all_ok())
    got = replies(deputy)
    wanted = {f"<soak-{n}@acme>" for n in sent}
    assert {k: v for k, v in got.items() if k in wanted} == dict.fromkeys(wanted, 1)  # 0 lost, 0 doubled
    assert all(p.ok for p in deputy.health.snapshot()), deputy.health.snapshot()
    assert all(not t.done() for t in deputy._tasks), [t for t in deputy._tasks if t.done()]  # no loop dead
    print(f"\n{len(sent)} normal mails, {ROUNDS} round(s); longest event-loop stall per fault:")
    for fault, worst in stalls.items():
        print(f"  {fault:28} {worst * 1000:7.1f} ms")
