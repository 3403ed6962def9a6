"""Pausing one task through the daemon: while paused nothing leaves for it (its follow-up
falls due and waits, a reply is kept unanswered), a restart keeps it paused, and on resume
the follow-up goes once, the deadline is later by the time spent paused, the replies are
read; a standing task skips what it missed; only the verified owner pauses."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

from bot.app import Deputy
from bot.cli import main
from bot.events import Event
from tests.sched.conftest import owner_answer
from tests.tasks.conftest import Home, fire, owner_notices, owner_says, reply_to
from tests.tasks.test_quotes import PRINTERS, sends_to, start_task
from tests.tasks.test_standing_and_authority import WEEKLY, occurrence_timers

DAY = 86400.0


async def timers_of(deputy: Deputy, task_id: int) -> dict[str, tuple[str, float]]:
    rows = await deputy.store.db.fetchall(
        "SELECT key, state, due_at FROM timers WHERE key LIKE ?", (f"task:{task_id}:%",)
    )
    return {r["key"]: (r["state"], r["due_at"]) for r in rows}


async def say(deputy: Deputy, text: str, *, n: int) -> None:
    await deputy.emit(owner_says(text, n=n))
    await deputy.drain()


async def paused_a_day_ago(deputy: Deputy, task_id: int) -> None:
    """Simulated time: the pause began a day earlier than it did."""
    async with deputy.store.db.transaction() as tx:
        await tx.execute("UPDATE tasks SET paused_at = paused_at - ? WHERE id=?", (DAY, task_id))


async def test_paused_quotes_task_sends_nothing_then_one_follow_up_on_resume(home: Home) -> None:
    deputy, channel, mids = await start_task(home)
    await deputy.emit(reply_to(mids[PRINTERS[0]], sender=PRINTERS[0], text="Our price is 280 EUR.", n=1))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    deadline_before = (await timers_of(deputy, task.id))[f"task:{task.id}:deadline"][1]
    await say(deputy, "pause task 1", n=12)
    (task,) = await deputy.store.tasks.all()
    assert task.state == "paused" and task.paused_from == "waiting"
    assert any("Task #1 is paused" in n for n in await owner_notices(deputy))
    # Day 3: the follow-up falls due, and a reply comes in: nothing goes out.
    await fire(deputy, f"task:{task.id}:follow_up")
    await deputy.emit(reply_to(mids[PRINTERS[1]], sender=PRINTERS[1], text="We can do it for 260 EUR.", n=2))
    await deputy.drain()
    assert len(channel.sends()) == 3  # the three requests, nothing since
    (task,) = await deputy.store.tasks.all()
    assert task.state == "paused" and task.contacts[1].offer == 260.0  # the offer is kept
    # Resume a day later: one follow-up, to the one still silent, once.
    await paused_a_day_ago(deputy, task.id)
    await say(deputy, "resume task 1", n=13)
    await deputy.scheduler.tick()
    await deputy.drain()
    await fire(deputy, f"task:{task.id}:follow_up")
    (task,) = await deputy.store.tasks.all()
    assert task.state == "waiting" and task.waiting_on == (PRINTERS[2],)
    nudges = sends_to(channel, PRINTERS[2])
    assert len(nudges) == 2 and "friendly reminder" in nudges[1]["text"]
    assert len(sends_to(channel, PRINTERS[0])) == len(sends_to(channel, PRINTERS[1])) == 1
    deadline_after = (await timers_of(deputy, task.id))[f"task:{task.id}:deadline"]
    assert deadline_after[0] == "pending" and DAY <= deadline_after[1] - deadline_before < DAY + 600
    resumed = next(n for n in await owner_notices(deputy) if "is resumed" in n)
    assert "after 24 h paused" in resumed and "Its deadline moves" in resumed
    assert f"{PRINTERS[1]} replied (260 EUR)" in resumed
    # The last printer answers: the cheapest within budget is accepted, as without a pause.
    await deputy.emit(reply_to(mids[PRINTERS[2]], sender=PRINTERS[2], text="Price: 290 EUR.", n=4))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "done" and "b@print-b.example at 260 EUR" in task.result


async def test_replies_kept_in_a_pause_are_evaluated_on_resume(home: Home) -> None:
    deputy, channel, mids = await start_task(home)
    await say(deputy, "pause task 1", n=11)
    for n, (printer, price) in enumerate(zip(PRINTERS, ("280", "250", "299"), strict=True)):
        await deputy.emit(reply_to(mids[printer], sender=printer, text=f"Our quote: {price} EUR.", n=n))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "paused" and len(channel.sends()) == 3
    await say(deputy, "resume task 1", n=12)
    (task,) = await deputy.store.tasks.all()
    assert task.state == "done" and "b@print-b.example at 250 EUR" in task.result
    assert "accept your offer of 250 EUR" in sends_to(channel, PRINTERS[1])[-1]["text"]
    assert sum(len(sends_to(channel, p)) for p in PRINTERS) == 6  # requests, one answer each
    assert {s for s, _ in (await timers_of(deputy, task.id)).values()} == {"cancelled"}


async def test_a_question_waits_while_its_task_is_paused(home: Home) -> None:
    deputy, channel, mids = await start_task(home)
    for n, printer in enumerate(PRINTERS):
        await deputy.emit(reply_to(mids[printer], sender=printer, text=f"{400 + n} EUR", n=n))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "needs_owner" and task.escalation_id is not None
    esc = await deputy.store.escalations.get(task.escalation_id)
    assert esc is not None
    await say(deputy, "pause task 1", n=11)
    async with deputy.store.db.transaction() as tx:  # its deadline falls due: it waits too
        await tx.execute(
            "UPDATE timers SET due_at=? WHERE key=?", (time.time() - 1, f"esc-deadline:{esc.id}")
        )
    await deputy.scheduler.tick()
    await deputy.emit(owner_answer(esc.id, "1", n=1))  # and so does the answer
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "paused" and len(channel.sends()) == 3
    assert any("question #1 waits" in n for n in await owner_notices(deputy))
    await paused_a_day_ago(deputy, task.id)
    await say(deputy, "resume task 1", n=12)
    later = await deputy.store.escalations.get(esc.id)
    assert later is not None and later.state == "open" and later.deadline - esc.deadline >= DAY
    await deputy.emit(owner_answer(esc.id, "1", n=2))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "done" and "a@print-a.example at 400 EUR" in task.result


async def test_paused_across_a_restart_and_paused_by_the_cli(home: Home, capsys) -> None:
    deputy, channel, _mids = await start_task(home)
    await home.stop()
    cfg = str(home.cfg)
    assert await asyncio.to_thread(main, ["task", "resume", "1", "--config", cfg]) == 1
    assert "not paused" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["task", "pause", "1", "--config", cfg]) == 0
    assert "'pause task 1' recorded" in capsys.readouterr().out
    deputy, channel = await home.start()
    await deputy.drain()
    await home.stop()
    assert await asyncio.to_thread(main, ["tasks", "--config", cfg]) == 0
    assert "#1 [paused] quotes" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["digest", "--config", cfg]) == 0
    assert "paused since" in capsys.readouterr().out
    deputy, channel = await home.start()  # a restart: still paused, its timers still held
    await fire(deputy, "task:1:follow_up")
    await fire(deputy, "task:1:deadline")
    (task,) = await deputy.store.tasks.all()
    assert task.state == "paused" and channel.sends() == []
    assert {s for s, _ in (await timers_of(deputy, 1)).values()} == {"held"}
    await say(deputy, "resume task 1", n=11)
    await deputy.scheduler.tick()
    await deputy.drain()
    assert len(channel.sends()) == 3  # the follow-up to each printer, once
    assert all("friendly reminder" in d.payload["text"] for d in channel.sends())


async def test_a_standing_task_skips_what_it_missed(home: Home) -> None:
    deputy, _channel = await home.start()
    await say(deputy, WEEKLY, n=1)
    ((first, _),) = await occurrence_timers(deputy)
    await say(deputy, "pause task 1", n=12)
    await fire(deputy, first)
    sent = await deputy.store.db.fetchall("SELECT key FROM outbox WHERE op='send'")
    assert sent == []
    await say(deputy, "resume task 1", n=13)
    await deputy.scheduler.tick()
    await deputy.drain()
    assert await deputy.store.db.fetchall("SELECT key FROM outbox WHERE op='send'") == []  # no burst
    timers = await occurrence_timers(deputy)
    assert timers[0] == (first, "cancelled") and timers[1][1] == "pending"
    assert timers[1][0] > first  # the next week's, at its usual time
    assert any("missed while paused is skipped" in n for n in await owner_notices(deputy))


async def test_only_the_verified_owner_pauses_a_task(home: Home) -> None:
    deputy, channel, _mids = await start_task(home)
    await deputy.emit(owner_says("pause task 1", n=1, channel="local", verified=False))
    await deputy.emit(
        Event(
            id="local:<stranger1@evil.example>",
            channel="local",
            kind="message",
            thread="<stranger1@evil.example>",
            sender="mallory@evil.example",
            received_at=datetime.now(UTC),
            recipients=("deputy@localhost",),
            subject="pause task 1",
            text="pause task 1",
            refs={"channel_type": "local", "message_id": "<stranger1@evil.example>"},
        )
    )
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "waiting"
    assert {s for s, _ in (await timers_of(deputy, task.id)).values()} == {"pending"}
    audit = await deputy.store.audit.recent(limit=10)
    assert "refused" in {e.outcome for e in audit}
    assert not any("paused" in json.dumps(e.actions) for e in audit)
    await fire(deputy, "task:1:follow_up")
    assert len(channel.sends()) == 6  # the follow-ups went as if nothing was said


async def test_a_follow_up_fired_just_before_the_pause_goes_once_after_resume(home: Home) -> None:
    deputy, channel, _mids = await start_task(home)
    # The follow-up fired into the inbox; the owner's pause was carried out before it was read.
    await say(deputy, "pause task 1", n=11)
    async with deputy.store.db.transaction() as tx:
        await tx.execute(
            "UPDATE timers SET state='fired', due_at=? WHERE key='task:1:follow_up'", (time.time() - 1,)
        )
    await deputy.emit(
        Event(
            id="timer:task:1:follow_up",
            channel="scheduler",
            kind="timer_due",
            thread="task-1",
            sender="",
            received_at=datetime.now(UTC),
            refs={"timer_kind": "task_follow_up", "timer_key": "task:1:follow_up", "task_id": "1"},
        )
    )
    await deputy.drain()
    assert len(channel.sends()) == 3 and (await timers_of(deputy, 1))["task:1:follow_up"][0] == "deferred"
    await say(deputy, "resume task 1", n=12)
    await deputy.scheduler.tick()
    await deputy.drain()
    timers = await timers_of(deputy, 1)
    assert timers["task:1:follow_up"][0] == "fired" and timers["task:1:follow_up:~1"][0] == "fired"
    nudges = [d for d in channel.sends() if "friendly reminder" in d.payload["text"]]
    assert len(nudges) == 3  # one to each printer, once
