"""A task's pause in the state machine (bot/tasks/model.py) and in the store: from every
live state to paused and back to the state it left, never onward from a pause but by
resume or cancel; its timers held, handed back, re-armed once; "pause task N" routed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.pipeline.facts_reader import FactsReader
from bot.pipeline.router import Command, Instruction, Refuse, Router
from bot.rules import load_rulebook
from bot.store import Store, Timers
from bot.store.tasks import Tasks, timer_scope
from bot.tasks.model import LIVE, TRANSITIONS, QuotesSpec, Task, can_move
from tests.unit.conftest import event, rows

ROOT = Path(__file__).resolve().parents[2]
SPEC = QuotesSpec(to=("a@print-a.example",), request="a price", budget_max=300.0, currency="EUR")


@pytest.mark.parametrize("state", LIVE)
def test_every_live_state_pauses_and_comes_back_only_to_itself(state: str) -> None:
    assert can_move(state, "paused")
    assert can_move("paused", state, paused_from=state)
    for other in (s for s in LIVE if s != state):
        assert not can_move("paused", other, paused_from=state)
    assert not can_move("paused", state)  # no resume without the state the pause left
    assert can_move("paused", "failed")  # cancelled while paused


def test_a_pause_is_left_by_resume_or_cancel_only() -> None:
    for state in ("done", "failed", "paused"):
        assert not can_move(state, "paused")
    assert not can_move("paused", "done", paused_from="done")
    assert not can_move("paused", "paused", paused_from="paused")
    assert set(TRANSITIONS["paused"]) == {*LIVE, "failed"}


def test_status_line_says_paused_since() -> None:
    task = Task(
        id=12, kind="quotes", title="Quote", state="paused", spec=SPEC, paused_from="waiting", paused_at=1.0e9
    )
    line = task.status_line()
    assert line.startswith("#12 [paused] quotes: Quote (paused since ") and line.endswith("; was waiting)")
    live = Task(id=12, kind="quotes", title="Quote", state="waiting", spec=SPEC, paused_at=1.0e9)
    assert "paused" not in live.status_line() and live.paused_note() == ""


async def _task_with_timers(store: Store) -> int:
    async with store.db.transaction() as tx:
        task_id, _ = await Tasks.create_in(tx, key="k", kind="quotes", title="t", spec=SPEC, created_by="cli")
        await Tasks.move_in(tx, task_id, "waiting", waiting_on=SPEC.to)
        for what, due in (("follow_up", 100.0), ("deadline", 200.0)):
            await Timers.add_in(tx, key=f"task:{task_id}:{what}", due_at=due, kind=f"task_{what}", payload={})
        await Timers.add_in(tx, key="task:19:deadline", due_at=100.0, kind="task_deadline", payload={})
    return task_id


async def test_pause_holds_only_its_own_timers_and_resume_goes_back(store: Store) -> None:
    task_id = await _task_with_timers(store)
    async with store.db.transaction() as tx:
        assert await Tasks.pause_in(tx, task_id) == 2
        assert await Tasks.pause_in(tx, task_id) == -1  # paused already
        assert not await Tasks.move_in(tx, task_id, "waiting")  # a reply cannot resume it
    assert await store.timers.fire_due(now=1000.0) == 1  # the other task's timer only
    task = await store.tasks.get(task_id)
    assert task is not None and task.state == "paused" and task.paused_from == "waiting"
    async with store.db.transaction() as tx:
        back = await Tasks.resume_in(tx, task_id)
        assert back is not None and back[0] == "waiting" and back[2] == 1
        assert await Tasks.resume_in(tx, task_id) is None  # not paused any more
        held = await Timers.held_in(tx, **timer_scope(task_id, None))
        assert [t.key for t in held] == [f"task:{task_id}:follow_up", f"task:{task_id}:deadline"]
        for t in held:
            await Timers.release_in(tx, t, due_at=t.due_at + 50, rekey=f"{t.key}:~1")
    task = await store.tasks.get(task_id)
    assert task is not None and task.state == "waiting" and task.paused_at == 0.0
    pending = {t.key: t.due_at for t in await store.timers.pending()}
    assert pending == {f"task:{task_id}:follow_up": 150.0, f"task:{task_id}:deadline": 250.0}


async def test_a_timer_handed_back_fires_again_once_under_a_new_key(store: Store) -> None:
    task_id = await _task_with_timers(store)
    assert await store.timers.fire_due(now=150.0) == 2  # its follow-up fired (and task 19's) ...
    async with store.db.transaction() as tx:
        await Tasks.pause_in(tx, task_id)  # ... and the task was paused before it was read
        await Timers.defer_in(tx, f"task:{task_id}:follow_up")
        await Tasks.resume_in(tx, task_id)
        (follow_up, _deadline) = await Timers.held_in(tx, **timer_scope(task_id, None))
        assert follow_up.state == "deferred"
        await Timers.release_in(tx, follow_up, due_at=150.0, rekey=f"task:{task_id}:follow_up:~1")
    assert await store.timers.fire_due(now=160.0) == 1
    assert await store.timers.fire_due(now=160.0) == 0
    fired = await rows(store, "SELECT id FROM inbox WHERE id LIKE ? ORDER BY seq", f"timer:task:{task_id}:%")
    assert [r["id"] for r in fired] == [
        f"timer:task:{task_id}:follow_up",
        f"timer:task:{task_id}:follow_up:~1",
    ]


async def test_cancel_while_paused_drops_the_held_timers(store: Store) -> None:
    task_id = await _task_with_timers(store)
    async with store.db.transaction() as tx:
        await Tasks.pause_in(tx, task_id)
    assert await store.tasks.cancel(task_id, by="cli")
    states = await rows(store, "SELECT state FROM timers WHERE key LIKE ?", f"task:{task_id}:%")
    assert {r["state"] for r in states} == {"cancelled"}
    task = await store.tasks.get(task_id)
    assert task is not None and task.state == "failed"


@pytest.mark.parametrize(
    ("text", "route"),
    [
        ("pause task 12", Command("pause_task", "12")),
        ("Resume task #12.", Command("resume_task", "12")),
        ("cancel task 3\n\n-- \nAlex", Command("cancel_task", "3")),
        ("pause task 12 and write to Bob", Instruction("pause task 12 and write to Bob")),
    ],
)
async def test_task_commands_are_routed_for_the_verified_owner_only(
    store: Store, text: str, route: object
) -> None:
    router = Router(
        escalations=store.escalations,
        own_addresses=frozenset({"deputy@localhost"}),
        facts=FactsReader(store.message_facts),
    )
    rulebook = load_rulebook(ROOT / "rules")
    owner = event(
        1, channel="telegram", sender="42", kind="owner_message", text=text, sender_verified_owner=True
    )
    assert await router.route(owner, rulebook, today=date(2026, 1, 1)) == route
    forged = event(2, channel="email", sender="alex@example.com", kind="owner_message", text=text)
    assert isinstance(await router.route(forged, rulebook, today=date(2026, 1, 1)), Refuse)
