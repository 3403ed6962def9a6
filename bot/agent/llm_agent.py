"""The LLM-backed agent: a bounded tool-calling loop that only proposes.

Why a loop: the model may first read (thread history, memory) and then act, or take a
preparatory action (file, remember) before its final one. Why bounded and strict: every
step is a paid call, and a confused or hijacked model must end in an escalation, not in a
spin. Numbers in offers come from the deterministic negotiation plan, not from the model;
everything else is checked by the policy gate after this returns.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from bot.actions import Action, Decision, Escalate, Offer
from bot.agent import negotiation
from bot.agent.base import Agent, AgentContext, NegotiationState
from bot.agent.calendar_actions import calendar_actions
from bot.agent.llm_client import ChatResult, LLMClient, LLMUnavailable, Usage
from bot.agent.negotiation import Plan
from bot.agent.prompt import build_messages, render_history, render_memory
from bot.agent.rules_only import template_values
from bot.agent.tools import ParsedCall, offered_tools, parse_call, tool_schemas
from bot.config import LLMSettings
from bot.facts.text import own_text
from bot.gate.textscan import bare_numbers_in, money_in
from bot.rules.model import Mandate

BreakerHook = Callable[[str], Awaitable[None] | None]


class LLMAgent:
    """Implements ``bot.agent.base.Agent``. One instance serves all workers."""

    def __init__(
        self,
        client: LLMClient,
        *,
        max_steps: int = 6,
        fallback: Agent | None = None,
    ) -> None:
        self.client = client
        self.max_steps = max_steps
        self.fallback = fallback

    @classmethod
    def from_settings(
        cls,
        settings: LLMSettings,
        *,
        fallback: Agent | None = None,
        on_breaker_open: BreakerHook | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> LLMAgent:
        client = LLMClient.from_settings(settings, on_breaker_open=on_breaker_open, environ=environ)
        return cls(client, max_steps=settings.max_steps, fallback=fallback)

    async def decide(self, ctx: AgentContext) -> Decision:
        decision, _ = await self.decide_with_usage(ctx)
        return decision

    async def decide_with_usage(self, ctx: AgentContext) -> tuple[Decision, Usage]:
        """As ``decide``, plus the usage (cost, latency) of this event's calls. When the
        model is unavailable: the fallback agent's decision, or LLMUnavailable."""
        try:
            return await self._decide(ctx)
        except LLMUnavailable:
            if self.fallback is None:
                raise
            decision = await self.fallback.decide(ctx)
            return replace(decision, reasons=(*decision.reasons, "LLM unavailable: rules only")), Usage()

    async def close(self) -> None:
        await self.client.close()

    async def _decide(self, ctx: AgentContext) -> tuple[Decision, Usage]:
        rule = ctx.rule
        name = rule.name if rule else ""
        mandate = rule.mandate if rule else None
        plan: Plan | None = None
        theirs: float | None = None
        state = ctx.negotiation or NegotiationState()
        if mandate is not None and ctx.event.kind == "message":
            # Their price is the message's facts (their own words, never the quote).
            read, plan = negotiation.plan_from(
                mandate, state, ctx.facts.offer, own_words=own_text(ctx.event.text)
            )
            theirs = read.amount
            owner_price = float(ctx.extra.get("owner_price") or "nan")
            if mandate.acceptable(owner_price):  # NaN is never acceptable
                # the owner named the price on their forward: it is the plan
                plan = Plan(kind="counter", amount=owner_price, reason="the owner's instruction")
            if plan.kind == "escalate":
                ask = negotiation.escalation(mandate, state, theirs, rule=name, reason=plan.reason)
                return Decision(actions=(ask,), reasons=(plan.reason,), rule=name), Usage()
        if rule is not None and rule.header.calendar is not None:
            # A booking or an answer to an invitation is typed and written by code; the
            # model has no calendar tool, so the rule's calendar keys decide it here.
            booked, _ = calendar_actions(ctx, rule, template_values(ctx.event, ctx))
            if booked:
                return Decision(
                    actions=tuple(booked), reasons=(f"rule '{name}': calendar",), rule=name
                ), Usage()
        run = _Run(self.client, ctx, max_steps=self.max_steps)
        actions = await run.loop(plan=plan, their_offer=theirs)
        reasons = run.reasons
        if rule is None:
            actions = _only_escalations(actions, reasons)
        if mandate is not None and plan is not None:
            actions = _checked_offers(actions, mandate, state, plan, name, reasons)
        if not actions:
            actions = [
                Escalate(
                    question=f"I could not decide what to do with "
                    f"'{ctx.event.subject or ctx.event.text[:60]}'.",
                    reason="the model proposed no action",
                    blocked_by=name,
                )
            ]
        u = run.usage
        decision = Decision(
            actions=_dedupe(actions),
            reasons=tuple(reasons),
            rule=name,
            llm_calls=u.calls,
            tokens_in=u.tokens_in,
            tokens_out=u.tokens_out,
        )
        return decision, u


class _Run:
    """The state of one decide() call: the growing message list and what was proposed."""

    def __init__(self, client: LLMClient, ctx: AgentContext, *, max_steps: int) -> None:
        self.client = client
        self.ctx = ctx
        self.max_steps = max_steps
        self.usage = Usage()
        self.reasons: list[str] = []

    async def loop(self, *, plan: Plan | None, their_offer: float | None) -> list[Action]:
        rule = self.ctx.rule
        names = offered_tools(rule)
        messages: list[dict[str, Any]] = build_messages(
            self.ctx, tool_names=names, plan=plan, their_offer=their_offer, secrets=self.client.secrets
        )
        tools = tool_schemas(rule)
        actions: list[Action] = []
        retried = False
        for _ in range(self.max_steps):
            result = await self.client.chat(messages, tools=tools)
            self.usage = self.usage + result.usage
            if not result.tool_calls:
                if result.content:
                    self.reasons.append(f"model: {result.content[:300]}")
                return actions
            parsed = [parse_call(c, rule=rule) for c in result.tool_calls]
            messages.append(result.assistant_message())
            errors = [p.error for p in parsed if p.error is not None]
            if errors:
                self.reasons.append("invalid tool calls: " + "; ".join(errors))
                if retried:
                    return [self._invalid_twice(errors)]
                retried = True
                messages.extend(self._error_results(result, parsed))
                continue
            messages.extend(self._results(parsed))
            actions.extend(p.action for p in parsed if p.action is not None)
            if any(p.terminal for p in parsed):
                return actions
        self.reasons.append(f"step limit ({self.max_steps}) reached")
        return actions

    def _invalid_twice(self, errors: list[str]) -> Escalate:
        rule = self.ctx.rule
        return Escalate(
            question="The model produced invalid tool calls twice for this message; "
            "please decide what to do.",
            reason="; ".join(errors)[:500],
            blocked_by=rule.name if rule else "",
        )

    def _error_results(self, result: ChatResult, parsed: list[ParsedCall]) -> list[dict[str, Any]]:
        out = []
        for p in parsed:
            note = (
                f"ERROR: {p.error}. No action was taken."
                if p.error
                else "Not executed because another call in this step was invalid. "
                "Send all calls again, valid."
            )
            out.append({"role": "tool", "tool_call_id": p.call.id, "content": note})
        return out

    def _results(self, parsed: list[ParsedCall]) -> list[dict[str, Any]]:
        out = []
        for p in parsed:
            if p.consult is not None:
                content = self._consult(p)
            else:
                content = "Proposed. The policy gate checks it before anything happens."
            out.append({"role": "tool", "tool_call_id": p.call.id, "content": content})
        return out

    def _consult(self, p: ParsedCall) -> str:
        if p.call.name == "get_thread_history":
            limit = int(getattr(p.consult, "limit", 20))
            return render_history(self.ctx.history, limit=limit) or "(no earlier messages)"
        return render_memory(self.ctx.memory)


def _only_escalations(actions: list[Action], reasons: list[str]) -> list[Action]:
    kept: list[Action] = [a for a in actions if isinstance(a, Escalate)]
    if len(kept) != len(actions):
        reasons.append("no rule matched: only asking the owner is possible")
    return kept


def _checked_offers(
    actions: list[Action],
    mandate: Mandate,
    state: NegotiationState,
    plan: Plan,
    rule: str,
    reasons: list[str],
) -> list[Action]:
    """Numbers come from the plan. An offer inside the mandate whose amount (or text)
    differs from the plan is rewritten to the plan; an offer beyond the mandate is kept as
    is, so the gate blocks it and the escalation names the rule."""
    out: list[Action] = []
    for action in actions:
        if not isinstance(action, Offer):
            out.append(action)
            continue
        if action.currency.upper() != mandate.currency.upper() or not mandate.acceptable(action.amount):
            reasons.append(f"model offered {action.amount:g} {action.currency}: beyond mandate")
            out.append(action)
        elif plan.amount is None:
            if action.amount in state.our_offers and not action.final:
                out.append(action)  # repeating our last price is no concession
                continue
            reasons.append(f"model offered {action.amount:g} but the plan is to hold")
            out.append(
                Escalate(
                    question=f"The model wanted to offer {action.amount:g} "
                    f"{mandate.currency}, but the strategy says: {plan.reason}.",
                    reason="offer outside the negotiation plan",
                    blocked_by=rule,
                )
            )
        elif action.amount != plan.amount or not _text_matches(action.text, plan.amount, state):
            reasons.append(f"model offered {action.amount:g}; the plan says {plan.amount:g}")
            out.append(negotiation.offer_from_plan(plan, mandate))
        else:
            out.append(replace(action, final=plan.final, currency=mandate.currency))
    return out


def _text_matches(text: str, amount: float, state: NegotiationState) -> bool:
    allowed = {amount, *state.our_offers}
    numbers = [a for a, _ in money_in(text)] + bare_numbers_in(text)
    return all(n in allowed for n in numbers)


def _dedupe(actions: list[Action]) -> tuple[Action, ...]:
    seen: list[Action] = []
    for action in actions:
        if action not in seen:
            seen.append(action)
    return tuple(seen)
