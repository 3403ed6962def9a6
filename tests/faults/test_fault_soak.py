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
import contextlib
import os
import smtplib
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from email import message_from_bytes
from pathlib import Path

from bot import event_loop, faults, heap
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


@contextlib.asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[Deputy]:
    cfg = make_home(tmp_path, extra_config='[channels.local]\ntype = "local"\nlisten_port = 0\n')
    daemon = Deputy(load(cfg))
    daemon.store = Store(daemon.settings.db_path, busy_timeout=0.2)  # a held lock outlasts it
    daemon.lag = LoopLag(period=0.01)
    await daemon.start()
    heap.freeze()  # as `deputy run` does once started (bot/app.py run_until_signalled)
    await asyncio.sleep(0.2)  # the freeze's own collection is start-up's, not a fault's
    try:
        yield daemon
    finally:
        heap.unfreeze()
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


# The heavy clients run in their own process, as real ones do: in a thread of this
# process they would hold the GIL the daemon's loop needs, and the stall measured would
# be the test's own.
IDLE_CLIENT = """
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
held = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(n)]
print("open", flush=True)
sys.stdin.read()
"""
BIG_CLIENT = """
import smtplib, sys
data = open(sys.argv[2], "rb").read()
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=300) as client:
    client.sendmail("ap@acme-supplies.com", ["deputy@localhost"], data)
"""


async def open_idle(port: int) -> asyncio.subprocess.Process:
    """A process holding IDLE connections open until its stdin closes."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        IDLE_CLIENT,
        str(port),
        str(IDLE),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 120)).strip() == b"open"
    return proc


async def close_idle(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    await asyncio.wait_for(proc.wait(), 60)


async def deliver_from_a_process(port: int, data: bytes, tmp: Path) -> None:
    path = tmp / "big.eml"
    await asyncio.to_thread(path.write_bytes, data)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", BIG_CLIENT, str(port), str(path))
    assert await asyncio.wait_for(proc.wait(), 300) == 0


def replies(deputy: Deputy) -> Counter[str]:
    out: Counter[str] = Counter()
    for path in (deputy.settings.data_dir / "outbox" / "new").glob("*"):
        out[str(message_from_bytes(path.read_bytes()).get("In-Reply-To", "")).strip()] += 1
    return out


def test_faults_in_turn_lose_nothing_and_stall_nothing(tmp_path: Path) -> None:
    # On the loop `deputy run` uses by default (uvloop where it is installed), so the
    # stalls measured are the daemon's own.
    event_loop.run(_soak(tmp_path), kind="uvloop")


async def _soak(tmp_path: Path) -> None:
    async with running(tmp_path) as deputy:
        await _faults_in_turn(deputy, tmp_path)


async def _faults_in_turn(deputy: Deputy, tmp_path: Path) -> None:
    port = deputy.connectors["local"].port  # type: ignore[attr-defined]
    sent: list[int] = []
    stalls: dict[str, float] = {}

    async def normal() -> None:
        n = len(sent)
        await asyncio.to_thread(deliver, port, invoice(n))
        sent.append(n)

    def record(fault: str) -> None:
        stalls[fault] = max(stalls.get(fault, 0.0), deputy.lag.reset())

    # Built before the stalls are measured: 3 MB of MIME made on this loop stalled it
    # too, and that stall was the test's own.
    bigs = [many_parts(60_000, message_id=f"<soak-parts-{r}@acme>") for r in range(ROUNDS)]
    await normal()
    deputy.lag.reset()
    for big in bigs:
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
        await deliver_from_a_process(port, big, tmp_path)
        await normal()
        record("60,000-part mail")

        # 4. 1,000 idle connections: the listener closes the idlest, new mail gets in
        holder = await open_idle(port)
        try:
            await normal()
        finally:
            await close_idle(holder)
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
