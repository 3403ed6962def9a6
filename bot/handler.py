"""Handles one claimed event: route, decide, check, and commit everything at once.

The finishing transaction writes the outbox rows, escalations, timers, memory and the
audit entry, and marks the event done: either all of it happened or none of it did,
so a crash at any point is repaired by simply handling the event again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.actions import (
    Action,
    Decision,
    Escalate,
    Forward,
    Ignore,
    Offer,
    Reply,
    Webhook,
    action_to_dict,
)
from bot.agent import negotiation
from bot.agent.base import Agent, AgentContext, NegotiationState
from bot.agent.rules_only import RulesOnlyAgent
from bot.config import Settings
from bot.executor import Executor
from bot.faults import fault
from bot.owner_desk import OwnerDesk
from bot.policy import GateContext, PolicyGate
from bot.router import Answer, Command, Drop, Instruction, Judge, Refuse, Router, Scheduled
from bot.rules.model import Rulebook
from bot.store import Claimed, Store, thread_key

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
    ) -> None:
        self.store = store
        self.settings = settings
        self.rulebook = rulebook
        self.executor = executor
        self.agent = agent
        self.rules_only = RulesOnlyAgent()
        self.gate = PolicyGate()
        own = frozenset(a.lower() for a in settings.deputy.addresses)
        self.router = Router(escalations=store.escalations, own_addresses=own)
        self.scheduled = scheduled
        # ----- tasks (issue 7): see bot/task_runner.py -----
        from bot.task_runner import TaskRunner

        llm = getattr(agent, "client", None)  # free-text tasks -> structured, when a model is configured
        self.tasks = TaskRunner(store=store, settings=settings, executor=executor, gate=self.gate, llm=llm)

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
                await self._finish(
                    claimed, rulebook, (), outcome="ignored", reasons=(reason,), started=started
                )
            case Refuse(reason):
                log.warning("refused %s: %s", event.id, reason)
                await self._finish(
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
            await self._finish(
                claimed,
                rulebook,
                (),
                outcome="kept",
                reasons=(f"automatic mail and no rule: left for the owner ({route.no_reply})",),
                started=started,
                event=event,
            )
            return
        # Independent reads, issued together: the store runs them in one round trip.
        # Memory is read only by a model, the negotiation state by a model or a mandate.
        reads: list[Awaitable[Any]] = [
            self.store.inbox.history(thread, before_seq=claimed.seq),
            self.store.outbox.sent_texts(thread),
        ]
        if self.agent is not None:
            reads.append(self.store.memory.about(event.sender))
        if self.agent is not None or (rule is not None and rule.mandate is not None):
            reads.append(self._negotiation(thread))
        found = await asyncio.gather(*reads)
        earlier, sent = found[0], found[1]
        memory = found[2] if self.agent is not None else []
        negotiation_state = found[-1] if len(found) > 2 + (self.agent is not None) else None
        history = tuple(earlier)
        ctx = AgentContext(
            event=event,
            rules=route.rules,
            rulebook=rulebook,
            history=history,
            sent=tuple(sent),
            memory=tuple(memory),
            negotiation=negotiation_state,
            extra={"owner_instruction": route.owner_note} if route.owner_note else {},
        )
        decision = await self._decide(ctx)
        fault("after_llm_answer")
        if route.owner_note and rule is None and self.agent is None:
            decision = Decision(
                actions=(
                    Escalate(
                        question=f'You forwarded this with: "{route.owner_note[:300]}". '
                        "No rule covers it and no model is configured: what exactly should I send?",
                        reason="owner forward without a matching rule",
                        options=("Do nothing",),
                        option_actions=((Ignore(reason="owner: nothing"),),),
                        default_option=0,
                    ),
                ),
                reasons=("owner forward, no rule",),
                rule="",
            )
        now = time.time()
        mandate = rule.mandate if rule is not None else None
        negotiation_fields: dict[str, Any] = {}
        if mandate is not None:
            negotiation_fields = dict(
                negotiation.gate_fields(ctx.negotiation, mandate=mandate, their_text=event.text)
            )
        participants = set(event.participants)
        for before in history:
            participants |= before.participants
        # Read together after the decision, as before: the gate check between them and the
        # "paused" flag is synchronous, so this reads the same state.
        replies_24h, sends_24h, paused = await asyncio.gather(
            self.store.outbox.autonomous_replies(thread, since=now - DAY),
            self.store.outbox.sends_to(event.sender, since=now - DAY),
            self.store.kv.get("paused"),
        )
        gate_ctx = GateContext(
            event=event,
            rule=rule,
            participants=frozenset(participants),
            thread_text="\n".join(e.text for e in (*history, event)),
            replies_in_thread_24h=replies_24h,
            sends_to_correspondent_24h=sends_24h,
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
        if paused == "1":
            allowed = _hold_for_approval(allowed, rule.name if rule else "")
        outcome = "escalated" if any(isinstance(a, Escalate) for a in allowed) else "handled"
        await self._finish(
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

    async def _decide(self, ctx: AgentContext) -> Decision:
        """Rules first: what a rule spells out completely never costs a model call."""
        planned = await self.rules_only.decide(ctx)
        needs_judgment = any(isinstance(a, Escalate) for a in planned.actions)
        if self.agent is None or ctx.rule is None or not needs_judgment:
            return planned
        try:
            return await self.agent.decide(ctx)
        except Exception as exc:  # the model is down: rules-only is the safe fallback
            log.warning("agent failed, falling back to rules-only: %s", exc)
            return planned

    async def _negotiation(self, thread: str) -> NegotiationState | None:
        row = await self.store.db.fetchone("SELECT state FROM negotiations WHERE thread=?", (thread,))
        return negotiation.state_from_json(row[0]) if row else None

    # ----- the owner's answers and commands ----------------------------------------


def _hold_for_approval(actions: list[Action], rule: str) -> list[Action]:
    """Paused autonomy: anything that leaves Deputy waits for the owner's yes."""
    outgoing = tuple(a for a in actions if isinstance(a, EXTERNAL))
    if not outgoing:
        return actions
    kept: list[Action] = [a for a in actions if not isinstance(a, EXTERNAL)]
    preview = "; ".join(f"{type(a).__name__}: {action_to_dict(a).get('text', '')[:120]}" for a in outgoing)
    kept.append(
        Escalate(
            question=f"Autonomy is paused. I would do: {preview}. Go ahead?",
            reason="paused",
            options=("Yes, do it", "No"),
            option_actions=(outgoing, (Ignore(reason="owner: no"),)),
            default_option=1,
            blocked_by=rule,
        )
    )
    return kept
