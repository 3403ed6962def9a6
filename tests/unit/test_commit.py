"""The commit service: one transaction writes the outbox, the audit, the negotiation
state and "done"; quarantine sets the event aside and tells the owner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.actions import Escalate, Notify, Reply
from bot.channels.registry import ChannelRegistry
from bot.config import load
from bot.effects.asking import hold_for_approval, owner_forward_without_rule
from bot.effects.executor import Executor
from bot.pipeline.commit import Commit
from bot.rules.loader import load_rulebook
from bot.rules.model import Rulebook
from bot.store import Claimed, Store
from tests.core.conftest import make_home
from tests.core.helpers import mail


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[Store, Commit, Rulebook]]:
    settings = load(make_home(tmp_path))
    store = Store(tmp_path / "deputy.sqlite3")
    await store.open()
    executor = Executor(settings=settings, channels=ChannelRegistry.of_types({"local": "local"}))
    try:
        yield store, Commit(store=store, executor=executor), load_rulebook(tmp_path / "rules")
    finally:
        await store.close()


async def _claim(store: Store, **kw: str) -> Claimed:
    assert await store.inbox.add(mail(**kw))
    (claimed,) = await store.inbox.claim(limit=1, busy_threads=set())
    return claimed


async def test_finish_writes_outbox_audit_negotiation_and_done(parts: tuple[Store, Commit, Rulebook]) -> None:
    store, commit, rulebook = parts
    claimed = await _claim(store)
    await commit.finish(
        claimed,
        rulebook,
        (Reply(text="Thanks, noted."),),
        outcome="handled",
        reasons=("a reason",),
        rule="r1",
        negotiation_state=("t1", '{"round": 1}'),
        started=0.0,
    )
    outbox = await store.db.fetchall("SELECT op, event_id FROM outbox")
    assert [(r["op"], r["event_id"]) for r in outbox] == [("send", claimed.event.id)]
    (entry,) = await store.audit.recent()
    assert (entry.outcome, entry.rule, entry.reasons) == ("handled", "r1", ("a reason",))
    assert entry.actions and entry.duration_ms > 0
    state = await store.db.fetchone("SELECT state FROM negotiations WHERE thread='t1'")
    assert state is not None and state["state"] == '{"round": 1}'
    inbox = await store.db.fetchone("SELECT state FROM inbox WHERE seq=?", (claimed.seq,))
    assert inbox is not None and inbox["state"] == "done"


async def test_finish_in_joins_the_callers_transaction(parts: tuple[Store, Commit, Rulebook]) -> None:
    store, commit, _ = parts
    claimed = await _claim(store, subject="")
    async with store.db.transaction() as tx:
        await commit.finish_in(
            tx, claimed, outcome="task", reasons=("why",), actions=["x"], subject="why", sender=""
        )
    (entry,) = await store.audit.recent()
    assert (entry.subject, entry.sender, entry.actions, entry.duration_ms) == ("why", "", ("x",), 0.0)


async def test_quarantine_sets_aside_and_tells_the_owner(parts: tuple[Store, Commit, Rulebook]) -> None:
    store, commit, rulebook = parts
    claimed = await _claim(store)
    await commit.quarantine(claimed, rulebook, "boom")
    row = await store.db.fetchone("SELECT state FROM inbox WHERE seq=?", (claimed.seq,))
    assert row is not None and row["state"] == "quarantined"
    (entry,) = await store.audit.recent()
    assert entry.outcome == "quarantined" and entry.reasons == ("boom",)
    notices = await store.db.fetchall("SELECT key FROM outbox")
    assert [r["key"] for r in notices] and all("quarantine:" in r["key"] for r in notices)


def test_hold_for_approval_keeps_what_stays_and_asks_about_what_leaves() -> None:
    note, reply = Notify(text="n"), Reply(text="hello")
    kept = hold_for_approval(
        [note, reply], outgoing=(Reply,), rule="r", question=lambda held: f"{len(held)}?"
    )
    assert kept[0] is note
    ask = kept[1]
    assert isinstance(ask, Escalate)
    assert ask.question == "1?" and ask.option_actions[0] == (reply,) and ask.default_option == 1
    assert hold_for_approval([note], outgoing=(Reply,), rule="r", question=str) == [note]
    assert owner_forward_without_rule("#" * 400).question.count("#") == 300


async def test_the_dry_run_commit_writes_nothing(parts: tuple[Store, Commit, Rulebook]) -> None:
    store, commit, rulebook = parts
    dry = Commit(store=store, executor=commit.executor, dry_run=True)
    claimed = await _claim(store)
    await dry.finish(claimed, rulebook, (Reply(text="hi"),), outcome="handled", reasons=("r",), rule="x")
    (done,) = dry.finished
    assert (done.outcome, done.rule, done.actions) == ("handled", "x", (Reply(text="hi"),))
    assert await store.db.fetchall("SELECT * FROM outbox") == []
    assert await store.audit.recent() == []
    row = await store.db.fetchone("SELECT state FROM inbox WHERE seq=?", (claimed.seq,))
    assert row is not None and row["state"] != "done"
