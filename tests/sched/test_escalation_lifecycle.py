"""An escalation from question to answer, reminder, deadline and restart, through the
real daemon with the scheduler ticked on a shifted clock."""

from __future__ import annotations

import json
import time

from bot.app import Deputy
from bot.desks.digest import build_digest
from tests.sched.conftest import Home, mail, owner_answer

HOUR = 3600.0


async def escalate(deputy: Deputy, sender: str, n: int) -> int:
    await deputy.emit(mail(sender, f"Question {n}", n=n))
    await deputy.drain()
    pending = [e for e in await deputy.store.escalations.open() if e.event.sender == sender]
    assert len(pending) == 1
    return pending[0].id


class Ahead:
    """The wall clock ``seconds`` ahead of now (as after a suspended laptop wakes)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def wall(self) -> float:
        return time.time() + self.seconds

    def monotonic(self) -> float:
        return time.monotonic()


async def tick_at(deputy: Deputy, hours_ahead: float) -> int:
    """Tick the daemon's scheduler as if ``hours_ahead`` had passed, then drain."""
    deputy.scheduler.clock = Ahead(hours_ahead * HOUR)
    emitted = await deputy.scheduler.tick()
    await deputy.drain()
    return emitted


async def owner_texts(deputy: Deputy) -> list[tuple[str, str]]:
    rows = await deputy.store.db.fetchall(
        "SELECT key, payload FROM outbox WHERE recipient IN ('owner', 'alex@example.com') ORDER BY seq"
    )
    return [(r["key"], json.loads(r["payload"]).get("text", "")) for r in rows]


async def test_no_answer_before_deadline_applies_default_and_reports(home: Home) -> None:
    deputy, channel = await home.start()
    esc_id = await escalate(deputy, "carol@new.com", 1)
    assert await tick_at(deputy, 47) >= 1  # reminders only
    assert (await deputy.store.escalations.get(esc_id)).state == "open"  # type: ignore[union-attr]
    await tick_at(deputy, 49)
    esc = await deputy.store.escalations.get(esc_id)
    assert esc is not None and esc.state == "defaulted" and esc.answered_via == "deadline"
    assert esc.answer == "Do nothing"
    assert channel.sends() == []  # the safe default sends nothing
    notices = [t for k, t in await owner_texts(deputy) if k.endswith(":notice")]
    assert len(notices) == 1 and f"#{esc_id}" in notices[0] and "safe default (Do nothing)" in notices[0]
    digest = await build_digest(deputy.store, owner=deputy.rules().owner, since=time.time() - HOUR)
    assert "No answer in time" in digest.text and f"#{esc_id}" in digest.text
    # a late answer after the default: told so, nothing applied
    await deputy.emit(owner_answer(esc_id, "Sure, let's talk", n=1))
    await deputy.drain()
    assert channel.sends() == []
    assert any(e.outcome == "late answer" for e in await deputy.store.audit.recent())
    # and the deadline timer does not fire again
    assert await tick_at(deputy, 60) == 0


async def test_reminders_for_open_not_for_closed(home: Home) -> None:
    deputy, _ = await home.start()
    open_id = await escalate(deputy, "open@new.com", 2)
    closed_id = await escalate(deputy, "closed@new.com", 3)
    await deputy.emit(owner_answer(closed_id, "ignore", n=2))
    await deputy.drain()
    assert (await deputy.store.escalations.get(closed_id)).state == "answered"  # type: ignore[union-attr]
    await tick_at(deputy, 5)  # the 4h reminder is due for both
    reminders = [t for k, t in await owner_texts(deputy) if k.endswith(":remind")]
    assert len(reminders) == 1 and f"(#{open_id})" in reminders[0] and reminders[0].startswith("Reminder:")
    await tick_at(deputy, 25)  # the 24h reminder
    reminders = [t for k, t in await owner_texts(deputy) if k.endswith(":remind")]
    assert len(reminders) == 2 and all(f"(#{open_id})" in t for t in reminders)
    await tick_at(deputy, 26)  # nothing more until the deadline
    assert len([k for k, _ in await owner_texts(deputy) if k.endswith(":remind")]) == 2


async def test_escalation_survives_restart_and_is_answerable(home: Home) -> None:
    deputy, _ = await home.start()
    esc_id = await escalate(deputy, "dora@new.com", 4)
    await home.stop()
    deputy, channel = await home.start()
    pending = await deputy.store.escalations.open()
    assert [e.id for e in pending] == [esc_id]
    await deputy.emit(owner_answer(esc_id, "Thanks Dora, next week works.", n=3))
    await deputy.drain()
    sends = channel.sends()
    assert len(sends) == 1 and sends[0].payload["to"] == ["dora@new.com"]
    assert "next week works" in sends[0].payload["text"]
    # the deadline that was scheduled before the restart no longer applies anything
    await tick_at(deputy, 49)
    assert (await deputy.store.escalations.get(esc_id)).state == "answered"  # type: ignore[union-attr]
    assert len(channel.sends()) == 1


async def test_two_answers_first_wins_second_told(home: Home) -> None:
    deputy, channel = await home.start()
    esc_id = await escalate(deputy, "erin@new.com", 5)
    await deputy.emit(owner_answer(esc_id, "Thanks, first answer.", n=4))
    await deputy.emit(owner_answer(esc_id, "Thanks, second answer.", n=5))
    await deputy.drain()
    sends = channel.sends()
    assert [s.payload["text"].split("\n")[0] for s in sends] == ["Thanks, first answer."]
    late = [t for k, t in await owner_texts(deputy) if k.endswith(":late")]
    assert len(late) == 1 and "already answered" in late[0] and "not applied" in late[0]
