"""Step 1, context: what the decision may see, read in one round trip."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.agent import negotiation
from bot.agent.base import AgentContext
from bot.events import Event
from bot.owner_words import reading as owner_reading
from bot.pipeline.router import Judge
from bot.rules.model import Rule, Rulebook
from bot.store import Store, thread_key
from bot.store.thread_context import Limits, read_limits, read_thread_context

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Context:
    event: Event
    thread: str
    rule: Rule | None
    route: Judge
    agent: AgentContext
    limits: Limits


async def read_context(
    store: Store, *, route: Judge, rulebook: Rulebook, before_seq: int, with_model: bool
) -> Context:
    """Memory is read only by a model, the negotiation state by a model or a mandate."""
    event = route.event
    thread = thread_key(event)
    rule = route.rules[0] if route.rules else None
    known = await read_thread_context(
        store.db,
        thread=thread,
        before_seq=before_seq,
        sender=event.sender,
        since=time.time() - DAY,
        with_memory=with_model,
        with_negotiation=with_model or (rule is not None and rule.mandate is not None),
    )
    state = negotiation.state_from_json(known.negotiation) if known.negotiation else None
    agent_ctx = AgentContext(
        event=event,
        rules=route.rules,
        rulebook=rulebook,
        history=known.history,
        sent=known.sent,
        memory=known.memory,
        negotiation=state,
        extra=owner_extra(route.owner_note),
    )
    return Context(event=event, thread=thread, rule=rule, route=route, agent=agent_ctx, limits=known.limits)


def owner_extra(note: str) -> dict[str, str]:
    """The owner's forward note for the agent, and the price it names ("offer them 950
    EUR"), which replaces the negotiation plan's (the gate still holds it to the mandate)."""
    if not note:
        return {}
    extra = {"owner_instruction": note}
    reading = owner_reading.read(note, options=(), yes_option=None, no_option=None)
    if isinstance(reading, owner_reading.Instruct) and reading.amount is not None:
        extra["owner_price"] = f"{reading.amount:g}"
    return extra


async def recount(store: Store, ctx: Context) -> Context:
    """A model call takes seconds: count again what may have changed meanwhile."""
    limits = await read_limits(store.db, thread=ctx.thread, sender=ctx.event.sender, since=time.time() - DAY)
    return Context(
        event=ctx.event, thread=ctx.thread, rule=ctx.rule, route=ctx.route, agent=ctx.agent, limits=limits
    )
