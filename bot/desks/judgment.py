"""The judgment desk: ordinary messages (and what the cheap filters dropped or refused).

Route, decide (rules first, a model only when a rule asks for judgment), check every
action with the policy gate, hold what leaves when autonomy is paused, and commit all
of it at once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.actions import Decision, Escalate, Forward, Offer, Reply, Webhook
from bot.agent import negotiation
from bot.agent.base import AgentContext
from bot.agent.rules_only import RulesOnlyAgent
from bot.asking import hold_for_approval, owner_forward_without_rule, preview
from bot.desks import DeskDeps
from bot.faults import fault
from bot.policy import GateContext
from bot.router import Drop, Judge, Refuse, Route
from bot.rules.model import Rulebook
from bot.store import Claimed, thread_key
from bot.store.thread_context import read_limits, read_thread_context

log = logging.getLogger("deputy.handler")
DAY = 86400.0
# What leaves Deputy (held while autonomy is paused). bot/actions.py is getting its own
# EXTERNAL; this local copy goes when that lands.
EXTERNAL = (Reply, Offer, Forward, Webhook)


class JudgmentDesk:
    def __init__(self, deps: DeskDeps) -> None:
        self.store = deps.store
        self.settings = deps.settings
        self.executor = deps.executor
        self.gate = deps.gate
        self.commit = deps.commit
        self.agent = deps.agent
        self.rules_only = RulesOnlyAgent()

    async def claims(self, claimed: Claimed, route: Route) -> bool:
        return isinstance(route, Drop | Refuse | Judge)

    async def handle(self, claimed: Claimed, rulebook: Rulebook, route: Route, started: float) -> None:
        match route:
            case Drop(reason):
                await self.commit.finish(
                    claimed, rulebook, (), outcome="ignored", reasons=(reason,), started=started
                )
            case Refuse(reason):
                log.warning("refused %s: %s", claimed.event.id, reason)
                await self.commit.finish(
                    claimed, rulebook, (), outcome="refused", reasons=(reason,), started=started
                )
            case Judge():
                await self._judge(claimed, rulebook, route, started)
            case _:
                raise ValueError(f"the judgment desk does not handle {type(route).__name__}")

    async def _judge(self, claimed: Claimed, rulebook: Rulebook, route: Judge, started: float) -> None:
        event = route.event
        thread = thread_key(event)
        rule = route.rules[0] if route.rules else None
        if rule is None and route.no_reply:
            await self.commit.finish(
                claimed,
                rulebook,
                (),
                outcome="kept",
                reasons=(f"automatic mail and no rule: left for the owner ({route.no_reply})",),
                started=started,
                event=event,
            )
            return
        # Memory is read only by a model, the negotiation state by a model or a mandate.
        now = time.time()
        known = await read_thread_context(
            self.store.db,
            thread=thread,
            before_seq=claimed.seq,
            sender=event.sender,
            since=now - DAY,
            with_memory=self.agent is not None,
            with_negotiation=self.agent is not None or (rule is not None and rule.mandate is not None),
        )
        history = known.history
        negotiation_state = negotiation.state_from_json(known.negotiation) if known.negotiation else None
        ctx = AgentContext(
            event=event,
            rules=route.rules,
            rulebook=rulebook,
            history=history,
            sent=known.sent,
            memory=known.memory,
            negotiation=negotiation_state,
            extra={"owner_instruction": route.owner_note} if route.owner_note else {},
        )
        decision, asked_model = await self._decide(ctx)
        fault("after_llm_answer")
        if route.owner_note and rule is None and self.agent is None:
            decision = Decision(
                actions=(owner_forward_without_rule(route.owner_note),),
                reasons=("owner forward, no rule",),
                rule="",
            )
        limits = known.limits
        if asked_model:  # a model call takes seconds: count again what may have changed meanwhile
            now = time.time()
            limits = await read_limits(self.store.db, thread=thread, sender=event.sender, since=now - DAY)
        mandate = rule.mandate if rule is not None else None
        negotiation_fields: dict[str, Any] = {}
        if mandate is not None:
            negotiation_fields = dict(
                negotiation.gate_fields(ctx.negotiation, mandate=mandate, their_text=event.text)
            )
        participants = set(event.participants)
        for before in history:
            participants |= before.participants
        gate_ctx = GateContext(
            event=event,
            rule=rule,
            participants=frozenset(participants),
            replies_in_thread_24h=limits.replies_in_thread_24h,
            sends_to_correspondent_24h=limits.sends_to_correspondent_24h,
            replies_per_thread_cap=self.settings.limits.replies_per_thread,
            sends_per_correspondent_cap=self.settings.limits.sends_per_correspondent,
            owner_addresses=frozenset(rulebook.owner.emails),
            trusted_text="\n".join((*ctx.sent, route.owner_note)),
            **negotiation_fields,
        )
        result = self.gate.check(decision, gate_ctx)
        new_state = None
        if mandate is not None:
            new_state = negotiation.advance(
                ctx.negotiation, mandate=mandate, their_text=event.text, allowed=result.allowed
            )
        allowed = list(result.allowed)
        blocked = [f"{type(a).__name__}: {why}" for a, why in result.blocked]
        if route.no_reply:
            suppressed = [a for a in allowed if isinstance(a, Reply | Offer)]
            allowed = [a for a in allowed if not isinstance(a, Reply | Offer)]
            blocked += [f"{type(a).__name__}: suppressed, {route.no_reply}" for a in suppressed]
        escalation = result.escalation(decision)
        if escalation is not None:
            allowed.append(escalation)
        if limits.paused:
            allowed = hold_for_approval(
                allowed,
                outgoing=EXTERNAL,
                rule=rule.name if rule else "",
                question=lambda held: f"Autonomy is paused. I would do: {preview(held)}. Go ahead?",
            )
        outcome = "escalated" if any(isinstance(a, Escalate) for a in allowed) else "handled"
        await self.commit.finish(
            claimed,
            rulebook,
            tuple(allowed),
            outcome=outcome,
            reasons=decision.reasons,
            started=started,
            event=event,
            rule=decision.rule,
            blocked=tuple(blocked),
            decision=decision,
            negotiation_state=(thread, negotiation.state_to_json(new_state)) if new_state else None,
        )

    async def _decide(self, ctx: AgentContext) -> tuple[Decision, bool]:
        """Rules first: what a rule spells out completely never costs a model call.

        Also says whether the model was asked (the caps are then read again)."""
        planned = await self.rules_only.decide(ctx)
        needs_judgment = any(isinstance(a, Escalate) for a in planned.actions)
        if self.agent is None or ctx.rule is None or not needs_judgment:
            return planned, False
        try:
            return await self.agent.decide(ctx), True
        except Exception as exc:  # the model is down: rules-only is the safe fallback
            log.warning("agent failed, falling back to rules-only: %s", exc)
            return planned, True
