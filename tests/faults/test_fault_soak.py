"""Faults in turn, with normal mail between them, through the daemon's real SMTP listener
and, for every reply, a real SMTP relay on 127.0.0.1 (aiosmtpd, ``tests/faults/relay.py``;
the local channel's ``relay_host``): a write lock held by another connection past the
busy timeout, a full disk at COMMIT (``bot/faults.py``), a 3 MB mail of 60,000 MIME
parts, 1,000 idle connections, the relay answering 451 to DATA for 10 minutes, and the
wall clock stepped back 1 h and then forward 3 h.

Time is the daemon's own injected clock (``Deputy(clock=...)``, read by the scheduler, the
sender and the executor): during the outage it moves ahead a minute at a time (both
clocks, as when time passes) until 10 minutes of 451 are behind, so the minutes take
seconds; the steps move the wall clock alone, as NTP or an operator does.
The outage is checked from both ends: the relay refused every reply of the outage at least
once a minute, the owner was told "late" once per delivery (``[delivery] warn_after``
is 5 min) and nothing was given up (``give_up_after`` is 1 h). The steps are checked as
the daemon saw them: the scheduler logged each one, a follow-up set after the step back
is due 2 h from the stepped clock, it has not fired before the step forward and fires
once after it (the relay gets exactly one nudge).

Each normal mail is sent as a mail server would (a 4xx answer is retried); at the end
every accepted mail has exactly one reply accepted by the relay (0 lost, 0 doubled; the
451 answers do not count), nothing went to the outbox Maildir instead, every part of the
daemon is ok, and the longest event-loop stall is printed per fault (the daemon's own
probe, ``bot/loop_lag.py``, at 10 ms).

The CI tier runs each fault once; ``DEPUTY_SOAK=1`` runs the cycle five times."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import smtplib
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot import event_loop, faults, heap
from bot.app import Deputy
from bot.config import load
from bot.loop_lag import LoopLag
from bot.store import Store
from tests.core.conftest import make_home
from tests.core.test_intake_stall import many_parts
from tests.faults.relay import Relay, running_relay

ROUNDS = 5 if os.environ.get("DEPUTY_SOAK") == "1" else 1
IDLE = 1_000
OUTAGE = 600.0  # seconds of the daemon's wall clock the relay answers 451
MINUTE = 60.0  # the clock moves ahead this much at a time; retry_max is as long
OUTAGE_MAILS = 3  # normal mails accepted while the relay refuses
FOLLOW_UP_AFTER = 2 * 3600.0  # the soak rule's follow-up: due inside the +3 h step
NUDGE = "just following up"  # the follow-up desk's default text (bot/desks/scheduled.py)

# Retries by age (bot/effects/delivery_policy.py): late after 5 min of the 10-min
# outage, given up only after an hour; a minute between tries at most.
DELIVERY = '[delivery]\ngive_up_after = "1h"\nwarn_after = "5m"\nretry_min = 1\nretry_max = "1m"\n'
FOLLOW_UP_RULE = """+++
description = "Soak: acknowledge, and nudge once if nobody answers in two hours"
priority = 30
when.subject = "(?i)^soak follow-up"
may = ["reply", "follow_up"]
reply.template = \"\"\"
Hello $name,

thank you, noted.

$signature
\"\"\"
follow_up = { after = "2h", max = 1 }
+++
Acknowledge, and follow up once if there is no answer.
"""


class SoakClock:
    """The daemon's wall and monotonic clocks (``bot.clock.Clock``): the real ones plus
    what the soak adds. ``advance`` is time passing (both move: no step is seen);
    ``step`` is someone setting the wall clock (only it moves)."""

    def __init__(self) -> None:
        self._wall = 0.0
        self._mono = 0.0

    def wall(self) -> float:
        return time.time() + self._wall

    def monotonic(self) -> float:
        return time.monotonic() + self._mono

    def advance(self, seconds: float) -> None:
        self._wall += seconds
        self._mono += seconds

    def step(self, seconds: float) -> None:
        self._wall += seconds


class StepLog(logging.Handler):
    """The wall-clock steps the scheduler saw, in seconds (negative: back), from its log."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.steps: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = str(record.msg)
        if message.startswith("the wall clock stepped back"):
            self.steps.append(-float(record.args[0]))  # type: ignore[index]
        elif message.startswith("the wall clock stepped forward"):
            self.steps.append(float(record.args[0]))  # type: ignore[index]


@dataclass
class Soak:
    deputy: Deputy
    relay: Relay
    clock: SoakClock
    steps: StepLog


async def until(cond: Callable[[], bool], *, within: float = 60.0) -> None:
    async def wait() -> None:
        while not cond():  # noqa: ASYNC110 (polling another component's state)
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait(), within)


@contextlib.asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[Soak]:
    steps = StepLog()
    scheduler_log = logging.getLogger("deputy.scheduler")
    scheduler_log.addHandler(steps)
    with running_relay() as relay:
        local = (
            '[channels.local]\ntype = "local"\nlisten_port = 0\n'
            f'relay_host = "127.0.0.1"\nrelay_port = {relay.port}\nrelay_security = "none"\n'
        )
        cfg = make_home(tmp_path, extra_config=local + DELIVERY)
        (tmp_path / "rules" / "soak-follow-up.md").write_text(FOLLOW_UP_RULE, encoding="utf-8")
        clock = SoakClock()
        daemon = Deputy(load(cfg), clock=clock)
        daemon.store = Store(daemon.settings.db_path, busy_timeout=0.2)  # a held lock outlasts it
        daemon.lag = LoopLag(period=0.01)
        await daemon.start()
        heap.freeze()  # as `deputy run` does once started (bot/shutdown.py run_until_signalled)
        await asyncio.sleep(0.2)  # the freeze's own collection is start-up's, not a fault's
        try:
            yield Soak(deputy=daemon, relay=relay, clock=clock, steps=steps)
        finally:
            heap.unfreeze()
            scheduler_log.removeHandler(steps)
            await asyncio.wait_for(daemon.stop(), 60)


def invoice(n: int) -> bytes:
    return (
        # one sender each: the rule's send budget per correspondent would ask the owner
        f"From: ap{n}@acme-supplies.com\r\nTo: deputy@localhost\r\nSubject: Invoice {n}\r\n"
        f"Message-ID: <soak-{n}@acme>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n"
        "Please find our invoice attached. Total due: 80.00 EUR\r\n"
    ).encode()


def follow_up_mail(r: int) -> bytes:
    return (
        f"From: Pat {r} <pm{r}@example.org>\r\nTo: deputy@localhost\r\nSubject: Soak follow-up {r}\r\n"
        f"Message-ID: <soak-fu-{r}@example.org>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n"
        "Could you confirm the order, please?\r\n"
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


NOTICE_HEAD = re.compile(r"^--- \S+ \[\w+\] (delivery-late|delivery-failed):local:(<[^>]+>):", re.M)


def owner_told(deputy: Deputy) -> Counter[tuple[str, str]]:
    """(kind, Message-ID of the mail whose reply it is about) -> notices in the owner's
    console log (``data/owner.log``, where this home's owner channel, cli, writes)."""
    path = deputy.settings.data_dir / "owner.log"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return Counter((m[1], m[2]) for m in NOTICE_HEAD.finditer(text))


def late_notices(deputy: Deputy) -> list[str]:
    path = deputy.settings.data_dir / "owner.log"
    entries = path.read_text(encoding="utf-8").split("\n--- ") if path.exists() else []
    return [e for e in entries if "] delivery-late:" in e.split("\n", 1)[0]]


async def relay_outage(soak: Soak, normal: Callable[[], Awaitable[str]]) -> list[str]:
    """The relay refuses every reply for 10 minutes of the daemon's clock, with mail
    arriving meanwhile; returns the Message-IDs of the mails accepted during it."""
    deputy, relay, clock = soak.deputy, soak.relay, soak.clock
    relay.refusing = True
    ids = [await normal() for _ in range(OUTAGE_MAILS)]
    await until(lambda: all(relay.refused(i) >= 1 for i in ids))
    for _ in range(int(OUTAGE / MINUTE)):
        # A minute passes once the sender has recorded its last refusal (a retry is
        # due at most retry_max after it): every reply is tried, and refused, again.
        await deputy.sender.drain()
        seen = {i: relay.refused(i) for i in ids}
        clock.advance(MINUTE)
        await until(lambda: all(relay.refused(i) > seen[i] for i in ids))  # noqa: B023 (awaited here)
    await deputy.sender.drain()
    relay.refusing = False
    clock.advance(MINUTE)  # the next try, after the outage
    await normal()  # and mail keeps flowing
    await until(lambda: all(relay.answered(i) == 1 for i in ids))
    assert all(relay.refused(i) >= 1 + OUTAGE / MINUTE for i in ids)  # the fault was on
    return ids


async def clock_steps(soak: Soak, normal: Callable[[], Awaitable[str]], port: int, r: int) -> str:
    """Back 1 h: mail flows and a follow-up is set on the stepped clock, due in 2 h; then
    forward 3 h: it fires, once. Returns the Message-ID of the mail followed up."""
    deputy, relay, clock, seen = soak.deputy, soak.relay, soak.clock, len(soak.steps.steps)
    clock.step(-3600)
    await until(lambda: len(soak.steps.steps) == seen + 1)  # the scheduler saw it
    await normal()
    follow_up = f"<soak-fu-{r}@example.org>"
    await asyncio.to_thread(deliver, port, follow_up_mail(r))
    await until(lambda: relay.answered(follow_up) == 1)
    [timer] = [
        t
        for t in await deputy.store.timers.pending()
        if t.kind == "follow_up" and t.payload.get("event_id") == f"local:{follow_up}"
    ]
    # Set on the daemon's stepped clock: due 2 h from it, not 2 h from the real one.
    assert FOLLOW_UP_AFTER - MINUTE < timer.due_at - clock.wall() <= FOLLOW_UP_AFTER
    await asyncio.sleep(1.5)  # more than the scheduler's longest sleep (1 s): not early
    assert relay.answered(follow_up) == 1
    clock.step(3 * 3600)
    await until(lambda: relay.answered(follow_up) == 2)  # the nudge
    await until(lambda: len(soak.steps.steps) == seen + 2)
    await normal()
    return follow_up


def test_faults_in_turn_lose_nothing_and_stall_nothing(tmp_path: Path) -> None:
    # On the loop `deputy run` uses by default (uvloop where it is installed), so the
    # stalls measured are the daemon's own.
    event_loop.run(_soak(tmp_path), kind="uvloop")


async def _soak(tmp_path: Path) -> None:
    async with running(tmp_path) as soak:
        await _faults_in_turn(soak, tmp_path)


async def _faults_in_turn(soak: Soak, tmp_path: Path) -> None:
    deputy, relay = soak.deputy, soak.relay
    port = deputy.connectors["local"].port  # type: ignore[attr-defined]
    sent: list[int] = []
    outage: list[str] = []  # Message-IDs of the mails accepted while the relay refused
    follow_ups: list[str] = []
    stalls: dict[str, float] = {}

    async def normal() -> str:
        n = len(sent)
        await asyncio.to_thread(deliver, port, invoice(n))
        sent.append(n)
        return f"<soak-{n}@acme>"

    def all_replied() -> bool:
        answered = {a.in_reply_to for a in relay.accepted()}
        return {f"<soak-{n}@acme>" for n in sent} <= answered

    def record(fault: str) -> None:
        stalls[fault] = max(stalls.get(fault, 0.0), deputy.lag.reset())

    # Built before the stalls are measured: 3 MB of MIME made on this loop stalled it
    # too, and that stall was the test's own.
    bigs = [many_parts(60_000, message_id=f"<soak-parts-{r}@acme>") for r in range(ROUNDS)]
    await normal()
    deputy.lag.reset()
    for r, big in enumerate(bigs):
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

        # 5. the relay answers 451 for 10 minutes of the daemon's clock
        await until(all_replied)  # what came before first: only the outage's can be late
        outage += await relay_outage(soak, normal)
        record("relay 451 for 10 min")

        # 6. the wall clock steps back 1 h, then forward 3 h
        await until(all_replied)
        follow_ups.append(await clock_steps(soak, normal, port, r))
        record("clock -1 h, then +3 h")

        await normal()
        record("normal mail")

    await deputy.drain(timeout=120)
    await until(all_replied)
    await until(lambda: deputy.health.all_ok())
    # The relay's count: only accepted mail, the 451 answers are not in it.
    got = Counter(a.in_reply_to for a in relay.accepted())
    wanted = {f"<soak-{n}@acme>" for n in sent}
    assert {k: v for k, v in got.items() if k in wanted} == dict.fromkeys(wanted, 1)  # 0 lost, 0 doubled
    nudges = Counter(a.in_reply_to for a in relay.accepted() if NUDGE in a.text)
    assert {k: got[k] for k in follow_ups} == dict.fromkeys(follow_ups, 2)  # the reply and
    assert {k: nudges[k] for k in follow_ups} == dict.fromkeys(follow_ups, 1)  # one nudge
    assert not any(nudges[k] for k in wanted)
    assert not any((deputy.settings.data_dir / "outbox" / "new").iterdir())  # all by the relay
    # The owner: told once per late delivery of the outage, and nothing was given up.
    assert owner_told(deputy) == Counter({("delivery-late", i): 1 for i in outage})
    for notice in late_notices(deputy):
        assert "is late" in notice and "451" in notice and "until it is 1 h old" in notice, notice
    # The scheduler saw each step once, and the outage's minutes as no step at all.
    assert [round(s) for s in soak.steps.steps] == [-3600, 10800] * ROUNDS
    assert all(p.ok for p in deputy.health.snapshot()), deputy.health.snapshot()
    assert all(not t.done() for t in deputy._tasks), [t for t in deputy._tasks if t.done()]  # no loop dead
    print(f"\n{len(sent)} normal mails, {ROUNDS} round(s); longest event-loop stall per fault:")
    for fault, worst in stalls.items():
        print(f"  {fault:28} {worst * 1000:7.1f} ms")
