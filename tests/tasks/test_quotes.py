"""Issue 7: 'get quotes for 500 brochures from these three printers and accept the
cheapest under 300 EUR', end to end through the daemon, over simulated days."""

from __future__ import annotations

from bot.app import Deputy
from tests.sched.conftest import RecordingChannel
from tests.tasks.conftest import Home, fire, owner_notices, owner_says, reply_to

PRINTERS = ("a@print-a.example", "b@print-b.example", "c@print-c.example")
TASK = """task: quotes
to: a@print-a.example, b@print-b.example, c@print-c.example
subject: Quote for 500 brochures
request: Hello, could you quote 500 brochures, A5, 4 pages, colour? Delivery to Berlin.
budget: 300 EUR
deadline: 7d
follow_up: 3d
"""


def sends_to(channel: RecordingChannel, address: str) -> list[dict]:
    return [d.payload for d in channel.sends() if address in d.payload["to"]]


async def start_task(home: Home) -> tuple[Deputy, RecordingChannel, dict[str, str]]:
    deputy, channel = await home.start()
    await deputy.emit(owner_says(TASK, n=1))
    await deputy.drain()
    requests = {p: sends_to(channel, p) for p in PRINTERS}
    assert all(len(r) == 1 for r in requests.values()), requests
    for r in requests.values():
        assert r[0]["subject"] == "Quote for 500 brochures"
        assert "500 brochures" in r[0]["text"]
    (task,) = await deputy.store.tasks.all()
    assert task.state == "waiting" and set(task.waiting_on) == set(PRINTERS)
    return deputy, channel, {p: r[0]["message_id"] for p, r in requests.items()}


async def test_quotes_round_accepts_cheapest_under_budget(home: Home) -> None:
    deputy, channel, mids = await start_task(home)
    # Day 1: two printers answer.
    await deputy.emit(reply_to(mids[PRINTERS[0]], sender=PRINTERS[0], text="Our price is 280 EUR.", n=1))
    await deputy.emit(reply_to(mids[PRINTERS[1]], sender=PRINTERS[1], text="We can do it for 320 EUR.", n=2))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "waiting" and task.waiting_on == (PRINTERS[2],)
    # Day 3: the follow-up goes to the slow printer only, and only once.
    await fire(deputy, f"task:{task.id}:follow_up")
    await fire(deputy, f"task:{task.id}:follow_up")
    assert len(sends_to(channel, PRINTERS[2])) == 2
    follow_up = sends_to(channel, PRINTERS[2])[1]
    assert follow_up["in_reply_to"] == mids[PRINTERS[2]]
    assert len(sends_to(channel, PRINTERS[0])) == 1 and len(sends_to(channel, PRINTERS[1])) == 1
    # Day 4: the slow printer answers with the cheapest quote.
    await deputy.emit(reply_to(mids[PRINTERS[2]], sender=PRINTERS[2], text="Price: EUR 260 total.", n=3))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "done", task
    assert "c@print-c.example at 260 EUR" in task.result
    accepted = sends_to(channel, PRINTERS[2])[-1]
    assert "accept your offer of 260 EUR" in accepted["text"]
    for loser in PRINTERS[:2]:
        last = sends_to(channel, loser)[-1]
        assert "another offer" in last["text"] and "accept your" not in last["text"]
        assert last["in_reply_to"].startswith("<reply")
    assert sum(len(sends_to(channel, p)) for p in PRINTERS) == 3 + 1 + 3
    notices = await owner_notices(deputy)
    assert any("Task #1 done" in n and "260 EUR" in n for n in notices), notices
    # The deadline after the end changes nothing.
    await fire(deputy, f"task:{task.id}:deadline")
    assert sum(len(sends_to(channel, p)) for p in PRINTERS) == 7


async def test_all_over_budget_escalates_and_owner_answer_completes(home: Home) -> None:
    deputy, channel, mids = await start_task(home)
    prices = {PRINTERS[0]: "350 EUR", PRINTERS[1]: "320 EUR", PRINTERS[2]: "410 EUR"}
    for n, (printer, price) in enumerate(prices.items()):
        await deputy.emit(reply_to(mids[printer], sender=printer, text=f"Our quote: {price}.", n=n))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "needs_owner" and task.escalation_id is not None
    esc = await deputy.store.escalations.get(task.escalation_id)
    assert esc is not None and esc.state == "open"
    assert esc.options == (
        "Accept b@print-b.example at 320 EUR",
        "Accept a@print-a.example at 350 EUR",
        "Accept c@print-c.example at 410 EUR",
        "Decline all",
    )
    assert sum(len(sends_to(channel, p)) for p in PRINTERS) == 3  # nothing accepted on its own
    from tests.sched.conftest import owner_answer

    await deputy.emit(owner_answer(esc.id, "2", n=1))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "done" and "a@print-a.example at 350 EUR" in task.result
    assert "accept your offer of 350 EUR" in sends_to(channel, PRINTERS[0])[-1]["text"]
    for loser in (PRINTERS[1], PRINTERS[2]):
        assert "another offer" in sends_to(channel, loser)[-1]["text"]
    esc = await deputy.store.escalations.get(esc.id)
    assert esc is not None and esc.state == "answered"


async def test_deadline_concludes_without_the_silent_one(home: Home) -> None:
    deputy, channel, mids = await start_task(home)
    await deputy.emit(reply_to(mids[PRINTERS[0]], sender=PRINTERS[0], text="290 EUR", n=1))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    await fire(deputy, f"task:{task.id}:deadline")
    (task,) = await deputy.store.tasks.all()
    assert task.state == "done" and PRINTERS[0] in task.result
    assert "accept your offer of 290 EUR" in sends_to(channel, PRINTERS[0])[-1]["text"]
    assert len(sends_to(channel, PRINTERS[1])) == 1  # silent ones get no decline


async def test_stranger_in_the_thread_is_not_the_task(home: Home) -> None:
    deputy, _channel, mids = await start_task(home)
    await deputy.emit(reply_to(mids[PRINTERS[0]], sender="mallory@evil.example", text="1 EUR", n=9))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "waiting" and all(c.offer is None for c in task.contacts)


async def test_owner_silent_past_the_question_deadline_fails_the_task(home: Home) -> None:
    deputy, channel, mids = await start_task(home)
    for n, printer in enumerate(PRINTERS):
        await deputy.emit(reply_to(mids[printer], sender=printer, text=f"{400 + n} EUR", n=n))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "needs_owner"
    await fire(deputy, f"esc-deadline:{task.escalation_id}")
    (task,) = await deputy.store.tasks.all()
    assert task.state == "failed" and "nothing accepted" in task.result
    assert sum(len(sends_to(channel, p)) for p in PRINTERS) == 3
    assert any("accepted no quote" in n for n in await owner_notices(deputy))
