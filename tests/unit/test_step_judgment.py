"""The judgment steps, each alone: context, facts, decide, gate, drafts, etiquette and
pause, commit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.actions import Escalate, File, Reply
from bot.judgment.context import read_context, recount
from bot.judgment.decide import Decide
from bot.judgment.drafts import drafts
from bot.judgment.etiquette import etiquette_and_pause
from bot.judgment.facts import ask_reason
from bot.judgment.gate import Checked, check
from bot.judgment.record import outcome_of, record
from bot.pipeline.router import Judge
from tests.core.helpers import mail
from tests.unit.desk_parts import Parts, parts

INVOICE = {"sender": "billing@acme-supplies.com", "subject": "Invoice 7", "text": "Amount: 40 EUR"}


async def _context(p: Parts, **kw: str):  # type: ignore[no-untyped-def]
    claimed = await p.claim(mail(**{**INVOICE, **kw}))
    route = await p.route(claimed)
    assert isinstance(route, Judge)
    ctx = await read_context(
        p.store, route=route, rulebook=p.rulebook, before_seq=claimed.seq, with_model=False
    )
    return claimed, ctx


async def test_context_reads_the_rule_thread_and_limits(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        _, ctx = await _context(p)
        assert ctx.rule is not None and ctx.rule.name == "invoices"
        assert ctx.agent.history == () and ctx.limits.paused is False
        assert (await recount(p.store, ctx)).limits == ctx.limits
        assert ctx.agent.facts is ctx.route.facts  # read with the route, before selection
        assert ctx.route.facts.amount_due is not None and ask_reason(ctx) is None  # 40 EUR < 200 EUR


async def test_decide_uses_the_rule_without_a_model(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        _, ctx = await _context(p)
        decision, asked_model = await Decide(None)(ctx)
        assert not asked_model
        assert {type(a) for a in decision.actions} == {File, Reply}


async def test_gate_passes_what_the_rule_allows_and_escalates_the_rest(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        _, ctx = await _context(p)
        decision, _ = await Decide(None)(ctx)
        checked = check(p.deps.gate, decision, ctx, settings=p.deps.settings, rulebook=p.rulebook)
        assert {type(a) for a in checked.allowed} == {File, Reply} and checked.blocked == []
        forged = replace(decision, actions=(Reply(text="hi", to=("stranger@elsewhere.com",)),))
        blocked = check(p.deps.gate, forged, ctx, settings=p.deps.settings, rulebook=p.rulebook)
        assert blocked.blocked and isinstance(blocked.allowed[-1], Escalate)
        assert drafts(checked, rule="r", level="auto") is checked  # an auto rule acts as decided


async def test_etiquette_suppresses_replies_to_automatic_mail_and_pause_holds_sends(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        _, ctx = await _context(p)
        reply, filing = Reply(text="thanks"), File(folder="Invoices")
        quiet = replace(ctx, route=replace(ctx.route, no_reply="auto-submitted"))
        out = etiquette_and_pause(Checked(allowed=[reply, filing]), quiet)
        assert out.allowed == [filing] and out.blocked == ["Reply: suppressed, auto-submitted"]
        paused = replace(ctx, limits=replace(ctx.limits, paused=True))
        held = etiquette_and_pause(Checked(allowed=[reply, filing]), paused)
        assert held.allowed[0] == filing and isinstance(held.allowed[1], Escalate)
        assert held.allowed[1].option_actions[0] == (reply,)
        assert etiquette_and_pause(Checked(allowed=[reply]), ctx).allowed == [reply]


async def test_record_commits_the_outcome(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        claimed, ctx = await _context(p)
        decision, _ = await Decide(None)(ctx)
        checked = check(p.deps.gate, decision, ctx, settings=p.deps.settings, rulebook=p.rulebook)
        assert outcome_of(checked) == "handled"
        await record(p.deps.commit, claimed, p.rulebook, ctx, decision, checked, started=0.0)
        assert (await p.audit()).outcome == "handled" and await p.done(claimed)


async def test_etiquette_keeps_a_template_to_one_send_per_thread(tmp_path: Path) -> None:
    """A model that writes the rule's template again in a thread where it went out is
    stopped here, and the owner is asked instead."""
    async with parts(tmp_path) as p:
        _, ctx = await _context(p, sender_name="Anna Weber")
        decision, _ = await Decide(None)(ctx)
        template_reply = next(a for a in decision.actions if isinstance(a, Reply))
        again = replace(ctx, agent=replace(ctx.agent, sent=(template_reply.text,)))
        out = etiquette_and_pause(Checked(allowed=[template_reply, File(folder="Invoices")]), again)
        assert not any(isinstance(a, Reply) for a in out.allowed)
        assert isinstance(out.allowed[-1], Escalate)
        assert out.blocked == ["Reply: the template was already sent in this thread"]
        other = Reply(text="Thanks Anna, the corrected invoice is noted.")
        assert etiquette_and_pause(Checked(allowed=[other]), again).allowed == [other]


async def test_etiquette_drops_a_follow_up_with_nothing_of_ours_to_follow(tmp_path: Path) -> None:
    from bot.actions import FollowUp

    async with parts(tmp_path) as p:
        _, ctx = await _context(p)
        nudge = FollowUp(after_hours=48)
        alone = etiquette_and_pause(Checked(allowed=[nudge]), ctx, addresses=("deputy@localhost",))
        assert alone.allowed == [] and alone.blocked == ["FollowUp: Deputy has not written in this thread"]
        reply = Reply(text="Thanks, noted.")
        kept = etiquette_and_pause(Checked(allowed=[reply, nudge]), ctx, addresses=("deputy@localhost",))
        assert kept.allowed == [reply, nudge]
