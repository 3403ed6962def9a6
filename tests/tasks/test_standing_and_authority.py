"""Standing tasks fire once per period across restarts; only the owner assigns tasks;
free text without a model is refused; `deputy task add` / `deputy tasks`."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from bot.app import Deputy
from bot.cli import main
from bot.events import Event
from tests.tasks.conftest import Home, fire, owner_notices, owner_says

WEEKLY = """task: recurring
to: bob@client.example
subject: Timesheet
text: Hi Bob, a reminder to send this week's timesheet.
every: monday 09:00
"""


async def cli(argv: list[str]) -> int:
    return await asyncio.to_thread(main, argv)


async def sends_to(deputy: Deputy, address: str) -> list[dict]:
    rows = await deputy.store.db.fetchall(
        "SELECT payload FROM outbox WHERE op='send' AND recipient=? ORDER BY seq", (address,)
    )
    return [json.loads(r["payload"]) for r in rows]


async def occurrence_timers(deputy: Deputy) -> list[tuple[str, str]]:
    rows = await deputy.store.db.fetchall(
        "SELECT key, state FROM timers WHERE kind='task_occurrence' ORDER BY due_at"
    )
    return [(r["key"], r["state"]) for r in rows]


async def test_weekly_task_fires_once_a_week_across_restarts(home: Home) -> None:
    deputy, _ = await home.start()
    await deputy.emit(owner_says(WEEKLY, n=1))
    await deputy.drain()
    ((first, state),) = await occurrence_timers(deputy)
    assert state == "pending"
    date1 = datetime.fromisoformat(first.rsplit(":", 1)[1])
    assert date1.weekday() == 0
    await fire(deputy, first)
    await fire(deputy, first)  # firing again: the timer is spent
    assert len(await sends_to(deputy, "bob@client.example")) == 1
    timers = await occurrence_timers(deputy)
    assert [s for _, s in timers] == ["fired", "pending"]
    second = timers[1][0]
    assert (datetime.fromisoformat(second.rsplit(":", 1)[1]) - date1).days == 7
    # Restart twice: nothing fires again, nothing new is scheduled.
    for _ in range(2):
        await home.stop()
        deputy, _ = await home.start()
        await deputy.scheduler.tick()
        await deputy.drain()
        assert len(await sends_to(deputy, "bob@client.example")) == 1
        assert await occurrence_timers(deputy) == timers
    # A redelivered timer event is a duplicate in the inbox.
    assert not await deputy.emit(
        Event(
            id=f"timer:{first}",
            channel="scheduler",
            kind="timer_due",
            thread="task-1",
            sender="",
            received_at=datetime.now(UTC),
            refs={"timer_kind": "task_occurrence", "task_id": "1", "period": "x"},
        )
    )
    # The next week fires once.
    await fire(deputy, second)
    sent = await sends_to(deputy, "bob@client.example")
    assert len(sent) == 2 and sent[1]["subject"] == "Timesheet"
    assert "timesheet" in sent[1]["text"] and sent[0]["message_id"] != sent[1]["message_id"]
    assert [s for _, s in await occurrence_timers(deputy)] == ["fired", "fired", "pending"]


async def test_standing_task_from_rule_file_is_created_once(home: Home) -> None:
    (home.cfg.parent / "rules" / "tasks.toml").write_text(
        '[[task]]\nname = "timesheet"\nto = ["bob@client.example"]\nsubject = "Timesheet"\n'
        'text = "Hi Bob, the timesheet please."\nevery = "friday 16:00"\n',
        encoding="utf-8",
    )
    deputy, _ = await home.start()
    await home.stop()
    deputy, _ = await home.start()
    (task,) = await deputy.store.tasks.all()
    assert task.kind == "recurring" and task.state == "waiting"
    ((key, _),) = await occurrence_timers(deputy)
    assert datetime.fromisoformat(key.rsplit(":", 1)[1]).weekday() == 4


async def test_stranger_cannot_assign_a_task(home: Home) -> None:
    deputy, channel = await home.start()
    text = WEEKLY.replace("bob@client.example", "victim@client.example")
    # Unverified "owner" message (a forged From), and a plain mail from a stranger.
    await deputy.emit(owner_says(text, n=1, channel="local", verified=False))
    await deputy.emit(
        Event(
            id="local:<stranger1@evil.example>",
            channel="local",
            kind="message",
            thread="<stranger1@evil.example>",
            sender="mallory@evil.example",
            received_at=datetime.now(UTC),
            recipients=("deputy@localhost",),
            subject="task",
            text=text,
            refs={"channel_type": "local", "message_id": "<stranger1@evil.example>"},
        )
    )
    await deputy.drain()
    assert await deputy.store.tasks.all() == []
    assert await occurrence_timers(deputy) == []
    assert not [d for d in channel.sends() if "victim@client.example" in d.payload["to"]]
    outcomes = {e.outcome for e in await deputy.store.audit.recent(limit=10)}
    assert "refused" in outcomes


async def test_free_text_task_without_a_model_is_refused(home: Home) -> None:
    deputy, _ = await home.start()
    await deputy.emit(owner_says("task: get me quotes for 500 brochures, cheapest under 300 EUR", n=1))
    await deputy.emit(owner_says("task: quotes\nto: not-an-address\nrequest: x\nbudget: 3 EUR", n=2))
    await deputy.drain()
    assert await deputy.store.tasks.all() == []
    notices = await owner_notices(deputy)
    assert any("needs a model" in n for n in notices), notices
    assert any("not an address" in n for n in notices), notices


async def test_cli_task_add_and_tasks(home: Home, capsys) -> None:
    cfg = str(home.cfg)
    assert await cli(["tasks", "--config", cfg]) == 1  # the CLI never creates the database
    assert "has `deputy run` started here?" in capsys.readouterr().err
    await home.start()  # the daemon's first run makes it
    await home.stop()
    assert await cli(["tasks", "--config", cfg]) == 0
    assert "No tasks." in capsys.readouterr().out
    assert await cli(["task", "add", "get me some quotes", "--config", cfg]) == 1
    assert "needs a model" in capsys.readouterr().err
    args = ["task", "add", "quotes", "--config", cfg]
    args += ["--to", "a@print-a.example", "--to", "b@print-b.example"]
    assert await cli([*args, "--request", "Please quote 500 brochures.", "--budget", "300 EUR"]) == 0
    assert "task recorded" in capsys.readouterr().out
    assert await cli([*args, "--request", "x", "--budget", "cheap"]) == 1
    assert "budget must look like" in capsys.readouterr().err
    deputy, channel = await home.start()
    await deputy.drain()
    assert len(channel.sends()) == 2
    await home.stop()
    assert await cli(["tasks", "--config", cfg]) == 0
    out = capsys.readouterr().out
    assert "#1 [waiting] quotes" in out and "waiting on a@print-a.example, b@print-b.example" in out
    assert "a@print-a.example: requested" in out
    assert await cli(["digest", "--config", cfg]) == 0
    digest = capsys.readouterr().out
    assert "Tasks" in digest and "#1 [waiting]" in digest
