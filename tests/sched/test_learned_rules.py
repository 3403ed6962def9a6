"""Learned rules: proposed from an "always" answer, active only once confirmed, and
reversible; active ones handle the next similar mail without asking."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot import cli
from bot.actions import File, Ignore, Reply
from bot.app import Deputy
from bot.effects.escalation import interpret_answer
from bot.events import Event
from bot.rules import learned, lesson
from bot.rules.matcher import select
from bot.store import Timers
from tests.sched.conftest import Home, mail, owner_answer

ANSWER = "Thanks, we are not interested at the moment. Always answer like this."


@pytest.fixture
def learning_home(home: Home) -> Home:
    """The daemon wires the store's learned rules into its RulebookSource itself."""
    return home


async def escalations_from(deputy: Deputy, sender: str) -> list[int]:
    return [e.id for e in await deputy.store.escalations.open() if e.event.sender == sender]


async def answer_and_propose(deputy: Deputy, sender: str, text: str, n: int) -> int | None:
    """Answer with "always": the handler proposes a learned rule in the same transaction."""
    await deputy.emit(mail(sender, "Offer", n=n))
    await deputy.drain()
    (esc_id,) = await escalations_from(deputy, sender)
    esc = await deputy.store.escalations.get(esc_id)
    assert esc is not None
    await deputy.emit(owner_answer(esc_id, text, n=n))
    await deputy.drain()
    reading = interpret_answer(text, options=esc.options, option_actions=esc.option_actions)
    assert reading.learn
    # The handler's hook proposed it in the answer's own transaction.
    found = [r.id for r in await learned.records(deputy.store) if r.escalation_id == esc_id]
    rule_id = found[0] if found else None
    await deputy.drain()
    return rule_id


async def run_cli(cfg: Path, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await asyncio.to_thread(cli.main, ["rules", *argv, "--config", str(cfg)])
    out = capsys.readouterr()
    return code, out.out + out.err


async def test_propose_confirm_apply_rollback(learning_home: Home, capsys) -> None:
    deputy, channel = await learning_home.start()
    rule_id = await answer_and_propose(deputy, "frank@vendor.com", ANSWER, 1)
    assert rule_id is not None
    assert len(channel.sends()) == 1  # the answer itself
    (record,) = await learned.records(deputy.store)
    assert record.state == "proposed" and record.scope == "frank@vendor.com"
    assert record.actions == (Reply(text="Thanks, we are not interested at the moment."),)
    assert record.confirm_escalation_id is not None

    # proposed: not applied yet, the next mail is still a question
    await deputy.rules.refresh()
    await deputy.emit(mail("frank@vendor.com", "Offer again", n=2))
    await deputy.drain()
    assert len(await escalations_from(deputy, "frank@vendor.com")) == 1
    assert len(channel.sends()) == 1

    code, out = await run_cli(learning_home.cfg, "learned", capsys=capsys)
    assert code == 0 and f"#{rule_id}" in out and "proposed" in out and "Always answer like this" in out

    code, out = await run_cli(learning_home.cfg, "confirm", str(rule_id), capsys=capsys)
    assert code == 0 and "active" in out
    confirm_esc = await deputy.store.escalations.get(record.confirm_escalation_id)
    assert confirm_esc is not None and confirm_esc.state == "answered"
    code, out = await run_cli(learning_home.cfg, "confirm", str(rule_id), capsys=capsys)
    assert code == 1 and "is active" in out

    # active: the next mail from the same sender is answered without asking
    book = await deputy.rules.refresh()
    assert [r.name for r in book.rules if r.learned] == [f"learned-{rule_id}"]
    before = set(await escalations_from(deputy, "frank@vendor.com"))
    await deputy.emit(mail("frank@vendor.com", "Yet another offer", n=3))
    await deputy.drain()
    assert set(await escalations_from(deputy, "frank@vendor.com")) == before
    sends = channel.sends()
    assert len(sends) == 2 and sends[1].payload["to"] == ["frank@vendor.com"]
    assert sends[1].payload["text"].startswith("Thanks, we are not interested at the moment.")
    assert "Always" not in sends[1].payload["text"]
    log = await deputy.store.audit.recent()
    assert any(e.rule == f"learned-{rule_id}" and e.outcome == "handled" for e in log)
    # another sender of the same domain is not covered (scope: the address)
    await deputy.emit(mail("grace@vendor.com", "Offer", n=4))
    await deputy.drain()
    assert len(await escalations_from(deputy, "grace@vendor.com")) == 1

    code, out = await run_cli(learning_home.cfg, capsys=capsys)  # plain "deputy rules"
    assert code == 0 and f"learned-{rule_id}" in out
    assert f"learned from your answer to #{record.escalation_id}" in out
    code, out = await run_cli(learning_home.cfg, "rollback", str(rule_id), capsys=capsys)
    assert code == 0 and "rolled back" in out
    await deputy.rules.refresh()
    await deputy.emit(mail("frank@vendor.com", "Last offer", n=5))
    await deputy.drain()
    assert len(await escalations_from(deputy, "frank@vendor.com")) == len(before) + 1
    assert len(channel.sends()) == 2
    code, out = await run_cli(learning_home.cfg, "learned", capsys=capsys)
    assert "rolled_back" in out


async def test_confirmation_answer_activates_and_survives_restart(learning_home: Home) -> None:
    deputy, channel = await learning_home.start()
    text = "Not for us, thanks. From now on send this to anyone from bulkco for 30 days."
    rule_id = await answer_and_propose(deputy, "sales@bulkco.example", text, 10)
    assert rule_id is not None
    (record,) = await learned.records(deputy.store)
    assert record.scope == "*@bulkco.example"
    assert record.expires is not None and record.expires > date.today().isoformat()
    conf = await deputy.store.escalations.get(record.confirm_escalation_id or 0)
    assert conf is not None and conf.state == "open" and "Learn rule" in conf.question
    # the owner answers "1" to the confirmation prompt
    await deputy.emit(owner_answer(conf.id, "1", n=11))
    await deputy.drain()
    conf = await deputy.store.escalations.get(conf.id)
    assert conf is not None and conf.state == "answered"
    async with deputy.store.db.transaction() as tx:  # the handler hook, for this answer
        assert (
            await learned.propose_from_answer(
                tx, escalation=conf, answer_text="1", actions=conf.option_actions[0]
            )
            is None
        )
    assert [r.state for r in await learned.records(deputy.store)] == ["active"]
    assert len(channel.sends()) == 1  # nothing went to the correspondent for the "1"
    await learning_home.stop()
    deputy, channel = await learning_home.start()
    await deputy.emit(mail("other@bulkco.example", "Deal", n=12))
    await deputy.drain()
    assert await escalations_from(deputy, "other@bulkco.example") == []
    assert [s.payload["text"].split("\n")[0] for s in channel.sends()] == ["Not for us, thanks."]


async def test_declined_and_unlearnable_answers(learning_home: Home) -> None:
    deputy, _ = await learning_home.start()
    rule_id = await answer_and_propose(deputy, "hal@spam.example", "Always ignore these.", 20)
    assert rule_id is not None
    (record,) = await learned.records(deputy.store)
    assert record.actions == (Ignore(reason="learned rule"),)
    conf = await deputy.store.escalations.get(record.confirm_escalation_id or 0)
    assert conf is not None
    async with deputy.store.db.transaction() as tx:
        await learned.propose_from_answer(tx, escalation=conf, answer_text="no", actions=())
    assert [r.state for r in await learned.records(deputy.store)] == ["rejected"]
    ok, message = await learned.confirm(deputy.store, rule_id)
    assert not ok and "rejected" in message
    # an answer without "always" proposes nothing; nor does a second proposal for one question
    esc = await deputy.store.escalations.get(record.escalation_id)
    assert esc is not None
    async with deputy.store.db.transaction() as tx:
        assert await learned.propose_from_answer(tx, escalation=esc, answer_text="ok", actions=()) is None
        assert (
            await learned.propose_from_answer(
                tx, escalation=esc, answer_text="Always ignore these.", actions=(Ignore(),)
            )
            is None
        )


def _event(sender: str) -> Event:
    return Event(
        id="local:x",
        channel="local",
        kind="message",
        thread="t",
        sender=sender,
        received_at=datetime.now(UTC),
        subject="s",
    )


def test_scope_expiry_and_actions() -> None:
    ev = _event("Ann@Shop.example")
    assert lesson.derive_scope(ev, "always answer like this") == "ann@shop.example"
    assert lesson.derive_scope(ev, "always, for everyone at shop") == "*@shop.example"
    assert lesson.derive_scope(ev, "always do this for the whole domain") == "*@shop.example"
    today = date(2026, 11, 25)
    assert learned.parse_expiry("always, for 30 days", today=today) == "2026-12-25"
    assert learned.parse_expiry("from now on until 2027-01-31", today=today) == "2027-01-31"
    assert learned.parse_expiry("always", today=today) is None
    assert learned.learnable((File(folder="Receipts"),), "1 always") == (File(folder="Receipts"),)
    assert learned.learnable((Reply(text="x", to=("a@b.c",)),), "always") == ()
    assert learned.learnable((Reply(text="Always."),), "Always.") == ()


def test_record_becomes_a_rule_that_matches_and_expires() -> None:
    record = learned.LearnedRule(
        id=7,
        escalation_id=3,
        answer="always file it, until 2027-01-31",
        scope="*@shop.example",
        channel="local",
        actions=(File(folder="Shop"),),
        expires="2027-01-31",
        state="active",
        confirm_escalation_id=None,
        created_at=0,
        updated_at=0,
    )
    rule = learned.to_rule(record)
    assert rule.learned and rule.may == {"file"} and rule.header.file is not None
    assert rule.header.file.folder == "Shop"
    from bot.owner import OwnerProfile
    from bot.rules.model import Rulebook

    book = Rulebook(owner=OwnerProfile(), rules=(rule,))
    assert select(book, _event("x@shop.example"), today=date(2027, 1, 31)) == [rule]
    assert select(book, _event("x@shop.example"), today=date(2027, 2, 1)) == []
    assert select(book, _event("x@other.example"), today=date(2027, 1, 1)) == []
    dollars = learned.to_rule(dataclasses.replace(record, actions=(Reply(text="It costs $5"),)))
    assert dollars.header.reply is not None and dollars.header.reply.template == "It costs $$5"


async def test_free_text_yes_to_confirmation_stays_with_the_owner(learning_home: Home) -> None:
    deputy, channel = await learning_home.start()
    rule_id = await answer_and_propose(deputy, "ivy@shop.example", "Always: thanks, received.", 30)
    (record,) = await learned.records(deputy.store)
    conf = await deputy.store.escalations.get(record.confirm_escalation_id or 0)
    assert conf is not None and rule_id == record.id
    await deputy.emit(owner_answer(conf.id, "yes", n=31))
    await deputy.drain()
    conf = await deputy.store.escalations.get(conf.id)
    assert conf is not None and conf.state == "answered"
    reading = interpret_answer("yes", options=conf.options, option_actions=conf.option_actions)
    async with deputy.store.db.transaction() as tx:
        await learned.propose_from_answer(tx, escalation=conf, answer_text="yes", actions=reading.actions)
    assert [r.state for r in await learned.records(deputy.store)] == ["active"]
    assert [s.payload["to"] for s in channel.sends()] == [["ivy@shop.example"]]  # only the first answer


async def test_confirming_cancels_only_its_own_question_deadline(learning_home: Home) -> None:
    """The confirmation question's deadline timer is named ``esc-deadline:N``; a cancel by
    prefix would also take ``esc-deadline:N0`` ... ``N9``, the deadlines of other open
    questions, which would then never be reminded or decided."""
    deputy, _ = await learning_home.start()
    rule_id = await answer_and_propose(deputy, "frank@vendor.com", ANSWER, 1)
    assert rule_id is not None
    (record,) = await learned.records(deputy.store)
    conf_id = record.confirm_escalation_id
    assert conf_id is not None
    other = f"esc-deadline:{conf_id}0"  # the deadline of question #N0
    async with deputy.store.db.transaction() as tx:
        await Timers.add_in(tx, key=other, due_at=time.time() + 3600, kind="escalation_deadline", payload={})
    ok, _ = await learned.confirm(deputy.store, rule_id)
    assert ok
    async with deputy.store.db.transaction() as tx:
        assert await Timers.state_in(tx, other) == "pending"
        assert await Timers.state_in(tx, f"esc-deadline:{conf_id}") in ("cancelled", None)
