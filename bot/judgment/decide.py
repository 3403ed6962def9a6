"""Step 3, decide: rules first; a model only when a rule asks for judgment."""

from __future__ import annotations

import logging

from bot.actions import Decision, Escalate, Offer, Reply
from bot.agent.base import Agent
from bot.agent.rules_only import RulesOnlyAgent
from bot.effects.asking import ask_before, owner_forward, owner_forward_without_rule
from bot.faults import fault
from bot.judgment.context import Context
from bot.judgment.facts import ask_reason
from bot.owner_words.reading import Instruct, only_handle, read
from bot.rules.matcher import payment_changed

log = logging.getLogger("deputy.handler")


class Decide:
    def __init__(self, agent: Agent | None) -> None:
        self.agent = agent
        self.rules_only = RulesOnlyAgent()

    async def __call__(self, ctx: Context) -> tuple[Decision, bool]:
        """The decision, and whether the model was asked (the caps are then read again).

        When the facts say the rule must ask, the rule's own plan (rules only, never a
        model: no call is spent on a case that goes to the owner anyway) is held as the
        option the owner can approve; what stays inside Deputy (filing) still happens."""
        why = ask_reason(ctx)
        if why is not None:
            planned = await self.rules_only.decide(ctx.agent)
            if ctx.route.no_reply:
                # Automatic mail gets no reply anyway (RFC 3834): no reply to ask about.
                # The rule's inward actions (filing) are done; new or changed payment
                # details are still put to the owner, since a billing system's invoice
                # is exactly where a swapped IBAN would be paid unseen.
                kept = tuple(a for a in planned.actions if not isinstance(a, Reply | Offer | Escalate))
                if payment_changed(ctx.route.facts):
                    inward = Decision(actions=kept, reasons=planned.reasons, rule=planned.rule)
                    return ask_before(inward, why, ctx.route.facts, event=ctx.event), False
                reasons = (*planned.reasons, f"no reply to automatic mail; not asked: {why}")
                return Decision(actions=kept, reasons=reasons, rule=planned.rule), False
            return ask_before(planned, why, ctx.route.facts, event=ctx.event), False
        decision, asked_model = await self._decide(ctx)
        fault("after_llm_answer")
        note = ctx.route.owner_note
        if note and ctx.rule is None and self.agent is None:
            decision = Decision(
                actions=(owner_forward_without_rule(note),), reasons=("owner forward, no rule",), rule=""
            )
        elif note and self.agent is None and not only_handle(note):
            decision = _note_asked(ctx, note, decision)
        return decision, asked_model

    async def _decide(self, ctx: Context) -> tuple[Decision, bool]:
        """What a rule spells out completely never costs a model call, unless the owner's
        forward note says something the rule does not (the note reaches the model)."""
        planned = await self.rules_only.decide(ctx.agent)
        note = ctx.route.owner_note
        needs_judgment = any(isinstance(a, Escalate) for a in planned.actions) or bool(
            note and not only_handle(note)
        )
        if self.agent is None or ctx.agent.rule is None or not needs_judgment:
            return planned, False
        try:
            return await self.agent.decide(ctx.agent), True
        except Exception as exc:  # the model is down: rules-only is the safe fallback
            log.warning("agent failed, falling back to rules-only: %s", exc)
            return planned, True


def _note_asked(ctx: Context, note: str, planned: Decision) -> Decision:
    """Rules-only: the owner's note is the instruction, and code cannot carry out words;
    the question shows the note, the rule's plan and the offer the note names."""
    rule = ctx.rule
    offer = None
    reading = read(note, options=(), yes_option=None, no_option=None)
    if isinstance(reading, Instruct) and reading.amount is not None and rule is not None and rule.mandate:
        currency = reading.currency or rule.mandate.currency
        offer = Offer(
            text=f"We can do {reading.amount:g} {currency}.", amount=reading.amount, currency=currency
        )
    name = rule.name if rule else ""
    ask = owner_forward(note, rule=name, planned=planned.actions, offer=offer)
    return Decision(actions=(ask,), reasons=(*planned.reasons, "owner forward with a note"), rule=name)
