"""Handles one claimed event: route, decide, check, and commit everything at once.

The finishing transaction writes the outbox rows, escalations, timers, memory and the
audit entry, and marks the event done: either all of it happened or none of it did,
so a crash at any point is repaired by simply handling the event again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.actions import (
    Decision,
    Escalate,
    Forward,
    Offer,
    Reply,
    Webhook,
)
from bot.agent import negotiation
from bot.agent.base import Agent, AgentContext
from bot.agent.rules_only import RulesOnlyAgent
from bot.asking import hold_for_approval, owner_forward_without_rule, preview
from bot.commit import Commit
from bot.config import Settings
from bot.executor import Executor
from bot.faults import fault
from bot.owner_desk import OwnerDesk
from bot.policy import GateContext, PolicyGate
from bot.router import Answer, Command, Drop, Instruction, Judge, Refuse, Router, Scheduled
from bot.rules.model import Rulebook
from bot.store import Claimed, Store, thread_key
from bot.store.thread_context import read_limits, read_thread_context

log = logging.getLogger("deputy.handler")
DAY = 86400.0
EXTERNAL = (Reply, Offer, Forward, Webhook)


class EventHandler(OwnerDesk):
    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        rulebook: Callable[[], Rulebook],
        executor: Executor,
        agent: Agent | None = None,
        scheduled: Callable[[Claimed, Rulebook], object] | None = None,
        commit: Commit | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.rulebook = rulebook
        self.executor = executor
        self.agent = agent
        self.rules_only = RulesOnlyAgent()
        self.gate = PolicyGate()
        self.commit = commit or Commit(store=store, executor=executor)
        own = frozenset(a.lower() for a in settings.deputy.addresses)
        self.router = Router(escalations=store.escalations, own_addresses=own)
        self.scheduled = scheduled
        # ----- tasks (issue 7): see bot/task_runner.py -----
        from bot.task_runner import TaskRunner

        llm = getattr(agent, "client", None)  # free-text tasks -> structured, when a model is configured
        self.tasks = TaskRunner(
            store=store, settings=settings, executor=executor, gate=self.gate, llm=llm, commit=self.commit
        )

    async def handle(self, claimed: Claimed) -> None:
        started = time.perf_counter()
        event = claimed.event
        rulebook = self.rulebook()
        today = datetime.now(ZoneInfo(rulebook.owner.timezone)).date()
        route = await self.router.route(event, rulebook, today=today)
        # ----- tasks (issue 7): "task:" orders, replies in task threads, task answers/timers -----
        if await self.tasks.intercept(claimed, rulebook, route):
            return
        # ----- end tasks -----
        match route:
            case Drop(reason):
                await self.commit.finish(
                    claimed, rulebook, (), outcome="ignored", reasons=(reason,), started=started
                )
            case Refuse(reason):
                log.warning("refused %s: %s", event.id, reason)
                await self.commit.finish(
                    claimed, rulebook, (), outcome="refused", reasons=(reason,), started=started
                )
            case Answer():
                await self._answer(claimed, rulebook, route, started)
            case Command():
                await self._command(claimed, rulebook, route, started)
            case Instruction(text):
                await self._instruction(claimed, rulebook, text, started)
            case Judge():
                await self._judge(claimed, rulebook, route, started)
            case Scheduled():
                if self.scheduled is None:
                    raise RuntimeError("no scheduler handler configured")
                await self.scheduled(claimed, rulebook)  # type: ignore[misc]

    # ----- judgment ---------------------------------------------------------------
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
            thread_text="\n".join(e.text for e in (*history, event)),
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

