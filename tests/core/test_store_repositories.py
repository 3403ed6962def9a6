"""The repositories that took over the SQL of learned.py, digest.py, cli.py and sender.py,
on a real SQLite file."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.actions import File, Ignore, Reply
from bot.events import Event
from bot.rules.source import RulebookSource
from bot.store import LearnedRules, Memory, Outbox, OutboxRow, Store
from bot.store.kv import KeyValue
from bot.store.negotiations import Negotiations


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Store(tmp_path / "deputy.sqlite3")
    await s.open()
    yield s
    await s.close()


async def _propose(store: Store, escalation_id: int = 1, scope: str = "ann@shop.example") -> int:
    async with store.db.transaction() as tx:
        rule_id = await LearnedRules.propose_in(
            tx,
            escalation_id=escalation_id,
            answer="Always file these.",
            scope=scope,
            channel="email",
            actions=(File(folder="Shop"),),
            expires="2027-01-31",
        )
    assert rule_id is not None
    return rule_id


# ----- learned rules ----------------------------------------------------------------------
async def test_learned_rule_is_proposed_once_per_escalation(store: Store) -> None:
    rule_id = await _propose(store)
    async with store.db.transaction() as tx:
        again = await LearnedRules.propose_in(
            tx, escalation_id=1, answer="x", scope="b@c.d", channel="", actions=(Ignore(),), expires=None
        )
        record = await LearnedRules.get_in(tx, rule_id)
    assert again is None
    assert record is not None and record.state == "proposed" and record.name == f"learned-{rule_id}"
    assert record.actions == (File(folder="Shop"),) and record.expires == "2027-01-31"
    assert record.scope == "ann@shop.example" and record.channel == "email"
    assert [r.id for r in await store.learned_rules.all()] == [rule_id]
    assert await store.learned_rules.active() == []
    assert await store.learned_rules.get(rule_id) == record
    assert await store.learned_rules.get(rule_id + 1) is None


async def test_learned_rule_answer_is_capped(store: Store) -> None:
    async with store.db.transaction() as tx:
        rule_id = await LearnedRules.propose_in(
            tx,
            escalation_id=9,
            answer="a" * 5000,
            scope="x@y.z",
            channel="",
            actions=(Reply(text="ok"),),
            expires=None,
        )
    assert rule_id is not None
    record = await store.learned_rules.get(rule_id)
    assert record is not None and len(record.answer) == 4000 and record.actions == (Reply(text="ok"),)


async def test_learned_rule_state_moves_only_from_allowed_states(store: Store) -> None:
    rule_id = await _propose(store)
    async with store.db.transaction() as tx:
        assert not await LearnedRules.set_state_in(tx, rule_id, "rolled_back", allowed=("active",))
        assert await LearnedRules.set_state_in(tx, rule_id, "active", allowed=("proposed",))
        assert not await LearnedRules.set_state_in(tx, rule_id, "active", allowed=("proposed",))
        assert not await LearnedRules.set_state_in(tx, rule_id + 1, "active", allowed=("proposed",))
    assert [r.id for r in await store.learned_rules.active()] == [rule_id]
    with pytest.raises(AssertionError):
        async with store.db.transaction() as tx:
            await LearnedRules.set_state_in(tx, rule_id, "bogus", allowed=("active",))


async def test_learned_rule_confirmation_question_is_found_by_its_escalation(store: Store) -> None:
    rule_id = await _propose(store)
    async with store.db.transaction() as tx:
        assert await LearnedRules.by_confirmation_in(tx, 42) is None
        await LearnedRules.set_confirmation_in(tx, rule_id, 42)
        assert await LearnedRules.by_confirmation_in(tx, 42) == rule_id
    record = await store.learned_rules.get(rule_id)
    assert record is not None and record.confirm_escalation_id == 42


async def test_learned_rules_fingerprint_changes_with_every_change(store: Store) -> None:
    empty = await store.learned_rules.fingerprint()
    rule_id = await _propose(store)
    proposed = await store.learned_rules.fingerprint()
    assert proposed != empty
    assert await store.learned_rules.fingerprint() == proposed
    await asyncio.sleep(0.01)  # updated_at is a wall-clock float
    async with store.db.transaction() as tx:
        await LearnedRules.set_state_in(tx, rule_id, "active", allowed=("proposed",))
    assert await store.learned_rules.fingerprint() != proposed


async def test_rulebook_source_picks_up_confirmed_rules_on_refresh(store: Store, tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    source = RulebookSource(rules_dir, learned=store.learned_rules, check_every=3600)
    assert [r.name for r in (await source.refresh()).rules] == []
    rule_id = await _propose(store, scope="*@shop.example")
    assert [r.name for r in (await source.refresh()).rules] == []  # proposed: not yet
    async with store.db.transaction() as tx:
        await LearnedRules.set_state_in(tx, rule_id, "active", allowed=("proposed",))
    assert [r.name for r in source().rules] == []  # rules() never touches the store
    book = await source.refresh()
    assert [r.name for r in book.rules] == [f"learned-{rule_id}"] and book.rules[0].learned
    assert source() is book
    async with store.db.transaction() as tx:
        await LearnedRules.set_state_in(tx, rule_id, "rolled_back", allowed=("active",))
    assert [r.name for r in (await source.refresh()).rules] == []


async def test_rulebook_source_run_refreshes_until_stopped(store: Store, tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    source = RulebookSource(rules_dir, learned=store.learned_rules, check_every=0.01)
    task = asyncio.create_task(source.run())
    rule_id = await _propose(store)
    async with store.db.transaction() as tx:
        await LearnedRules.set_state_in(tx, rule_id, "active", allowed=("proposed",))
    for _ in range(500):
        if source().rules:
            break
        await asyncio.sleep(0.01)
    assert [r.name for r in source().rules] == [f"learned-{rule_id}"]
    await source.stop()
    await asyncio.wait_for(task, timeout=5)


# ----- kv, memory -------------------------------------------------------------------------
async def test_kv_set_in_writes_with_the_transaction_and_replaces(store: Store) -> None:
    async with store.db.transaction() as tx:
        await KeyValue.set_in(tx, "prompt:tg:1", '{"a": 1}')
        await KeyValue.set_in(tx, "prompt:tg:1", '{"a": 2}')
    assert await store.kv.get("prompt:tg:1") == '{"a": 2}'
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as tx:
            await KeyValue.set_in(tx, "other", "x")
            raise RuntimeError("rolled back")
    assert await store.kv.get("other") is None


async def test_memory_lists_by_subject_and_forgets(store: Store) -> None:
    async with store.db.transaction() as tx:
        await Memory.add_in(tx, subject="Zed@x.example", fact="likes tea", source="mail 1")
        await Memory.add_in(tx, subject="ann@x.example", fact="pays late", source="mail 2")
    facts = await store.memory.all()
    assert [(f.subject, f.fact, f.source) for f in facts] == [
        ("ann@x.example", "pays late", "mail 2"),
        ("zed@x.example", "likes tea", "mail 1"),
    ]
    assert await store.memory.forget(facts[0].id)
    assert not await store.memory.forget(facts[0].id)
    assert [f.fact for f in await store.memory.all()] == ["likes tea"]


# ----- digest reads -----------------------------------------------------------------------
def _event(n: int) -> Event:
    return Event(
        id=f"local:{n}",
        channel="local",
        kind="message",
        thread=f"t{n}",
        sender="a@b.example",
        received_at=datetime.now(UTC),
        subject="s",
    )


async def test_inbox_quarantined_since(store: Store) -> None:
    since = time.time()
    assert await store.inbox.add(_event(1))
    assert await store.inbox.add(_event(2))
    claimed = await store.inbox.claim(limit=10, busy_threads=set())
    assert len(claimed) == 2
    async with store.db.transaction() as tx:
        await store.inbox.quarantine_in(tx, claimed[0].seq, error="poison")
        await store.inbox.finish_in(tx, claimed[1].seq)
    assert await store.inbox.quarantined(since=since) == [(claimed[0].event.id, "poison")]
    assert await store.inbox.quarantined(since=time.time() + 60) == []


async def test_outbox_filed_and_autonomous_sends_since(store: Store) -> None:
    since = time.time()
    async with store.db.transaction() as tx:
        await Outbox.add_in(
            tx, OutboxRow(key="f1", event_id="e", connector="email", op="file", payload={"folder": "Inv"})
        )
        await Outbox.add_in(
            tx, OutboxRow(key="f2", event_id="e", connector="email", op="file", payload={"folder": "No"})
        )
        await Outbox.add_in(
            tx,
            OutboxRow(
                key="s1",
                event_id="e",
                connector="email",
                op="send",
                payload={"text": "I offer 400 EUR"},
                recipient="Bob@X.example",
            ),
        )
        await Outbox.add_in(
            tx,
            OutboxRow(
                key="s2", event_id="e", connector="email", op="send", payload={"text": "q"}, autonomous=False
            ),
        )
        await Outbox.mark_sent(store.outbox, "f1", {}, tx=tx)
    filed = await store.outbox.filed(since=since)
    assert [payload for _, payload in filed] == [{"folder": "Inv"}]  # only what was filed (sent)
    assert await store.outbox.autonomous_sends(since=since) == [
        ("bob@x.example", {"text": "I offer 400 EUR"})
    ]
    assert await store.outbox.filed(since=time.time() + 60) == []


async def test_negotiations_save_and_changed_since(store: Store) -> None:
    since = time.time()
    async with store.db.transaction() as tx:
        await Negotiations.save_in(tx, "email:t1", '{"our_offers": [400], "rounds": 1}')
        await Negotiations.save_in(tx, "email:t1", '{"our_offers": [400, 450], "rounds": 2}')
    assert await store.negotiations.changed_since(since) == [
        ("email:t1", {"our_offers": [400, 450], "rounds": 2})
    ]
    assert await store.negotiations.changed_since(time.time() + 60) == []
