"""Hand-off deadlines through the real daemon (the example organisation, the front desk's
invoice rule given a deadline of one day): past the deadline with no result back, the
sending department asks up the chain once; a restart changes nothing; a result that comes
later is accepted, closes the question and says it was late; one in time cancels the
timer. The scheduler is ticked on a clock moved ahead (no sleeps, no waiting a day)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from bot.departments.report import report
from bot.desks.digest import build_digest
from tests.core.conftest import RecordingChannel
from tests.core.helpers import mail
from tests.departments.conftest import Org, org_home

HOUR = 3600.0
RULE = 'expected = "paid or refused, with the reason" }'


class Ahead:
    """The wall clock ``seconds`` ahead of now: as if that much time had passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def wall(self) -> float:
        return time.time() + self.seconds

    def monotonic(self) -> float:
        return time.monotonic() + self.seconds


class Daemon:
    """One home, started and stopped as often as the test needs (one store)."""

    def __init__(self, cfg: Path) -> None:
        self.cfg = cfg
        self.org: Org | None = None

    async def start(self) -> Org:
        channel = RecordingChannel()
        deputy = Deputy(load(self.cfg), extra_connectors={"local": ("local", channel)})
        await deputy.start()
        self.org = Org(deputy, channel)
        return self.org

    async def stop(self) -> None:
        if self.org is not None:
            await asyncio.wait_for(self.org.deputy.stop(), 30)
            self.org = None

    async def restart(self) -> Org:
        await self.stop()
        return await self.start()


@pytest.fixture
async def daemon(tmp_path: Path):  # type: ignore[no-untyped-def]
    cfg = org_home(tmp_path)
    rule = cfg.parent / "rules" / "front" / "invoices.md"
    text = rule.read_text()
    assert RULE in text
    rule.write_text(text.replace(RULE, RULE[:-2] + ', deadline = "1d" }'))
    d = Daemon(cfg)
    try:
        yield d
    finally:
        await d.stop()


async def tick_at(org: Org, hours: float) -> None:
    org.deputy.scheduler.clock = Ahead(hours * HOUR)
    await org.deputy.scheduler.tick()
    await org.settle()


async def timer_states(org: Org) -> list[str]:
    rows = await org.deputy.store.db.fetchall("SELECT state FROM timers WHERE kind='handoff_deadline'")
    return [r["state"] for r in rows]


async def owner_texts(org: Org) -> list[tuple[str, str]]:
    rows = await org.deputy.store.db.fetchall(
        "SELECT key, payload FROM outbox WHERE recipient='owner' ORDER BY seq"
    )
    return [(r["key"], json.loads(r["payload"]).get("text", "")) for r in rows]


async def hand_off_invoice(org: Org) -> int:
    """An invoice at the front desk: it hands it to accounts, which asks the owner."""
    await org.deputy.emit(
        mail(
            sender="ap@supplier.test",
            subject="Invoice 9",
            text="Total due: 80.00 EUR",
            to=("front@example.test",),
        )
    )
    await org.settle()
    (question,) = await org.deputy.store.escalations.open()
    assert question.rule == "accounts/invoices"
    return question.id


async def test_an_overdue_hand_off_asks_up_the_chain_once_and_a_late_result_closes_it(
    daemon: Daemon, capsys: pytest.CaptureFixture[str]
) -> None:
    org = await daemon.start()
    invoice_question = await hand_off_invoice(org)
    (handed,) = [a for a in await org.audit() if a["rule"] == "front/invoices"]
    assert handed["actions"][0].endswith("(deadline 24 h)")
    # accounts' "I asked the owner" is an interim result: the deadline keeps running
    assert await timer_states(org) == ["pending"]

    org = await daemon.restart()  # the timer is durable
    await tick_at(org, 23)
    assert [e.id for e in await org.deputy.store.escalations.open()] == [invoice_question]
    await tick_at(org, 25)
    asked = [e for e in await org.deputy.store.escalations.open() if e.id != invoice_question]
    assert len(asked) == 1, "the front desk's supervisor (the owner) is asked"
    overdue = asked[0]
    assert overdue.question.startswith('Hand-off overdue: front handed "An invoice arrived at the front desk')
    assert '("Invoice 9"), front -> accounts' in overdue.question
    assert "(asked by front -> owner)" in overdue.question
    assert await timer_states(org) == ["fired"]

    await tick_at(org, 30)
    org = await daemon.restart()
    await tick_at(org, 31)
    assert len(await org.deputy.store.escalations.open()) == 2, "asked exactly once"

    await daemon.stop()
    assert await report(load(daemon.cfg)) == 0
    shown = capsys.readouterr().out
    front = shown.split("\nfront (front):", 1)[1].split("\n\n", 1)[0]
    assert "hand-off overdue since" in front and "front -> accounts" in front

    org = await daemon.start()
    await org.answer(invoice_question, "1")  # accounts may pay: it answers the supplier
    await org.settle()
    (sent,) = org.channel.sends()
    assert sent.payload["to"] == ["ap@supplier.test"]
    assert await timer_states(org) == ["late"]
    assert not await org.deputy.store.escalations.open(), "the late result closed the overdue question"
    closed = await org.deputy.store.escalations.get(overdue.id)
    assert closed is not None and closed.answered_via == "hand-off result"
    notices = [t for k, t in await owner_texts(org) if k.endswith(":late")]
    assert len(notices) == 1 and "came back late, from accounts" in notices[0]
    results = [a for a in await org.audit() if a["rule"] == "front/results"]
    reasons = await org.deputy.store.db.fetchall(
        "SELECT reasons FROM audit WHERE event_id=?", (results[-1]["event_id"],)
    )
    assert "late result of hand-off" in reasons[0]["reasons"]

    digest = await build_digest(org.deputy.store, owner=org.deputy.rules().owner, since=0.0)
    moved = digest.text.split("Hand-offs between departments", 1)[1].split("\n\n", 1)[0]
    assert "hand-off overdue: An invoice arrived" in moved and "late result of hand-off" in moved


async def test_a_result_in_time_cancels_the_deadline(daemon: Daemon) -> None:
    org = await daemon.start()
    invoice_question = await hand_off_invoice(org)
    await org.answer(invoice_question, "1")
    await org.settle()
    assert await timer_states(org) == ["cancelled"]
    await tick_at(org, 25)
    assert not await org.deputy.store.escalations.open()
    assert not [k for k, _ in await owner_texts(org) if k.endswith(":late")]
