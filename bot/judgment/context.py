"""Step 1, context: what the decision may see, read in one round trip.

Two things are decided here, before any decision, because the gate must check them:
which conversation the message belongs to (a mail joins the thread its headers name only
when its sender takes part in it, bot/store/thread_context.py), and where a reply would
go (Reply-To, else the sender: ``reply_target``)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from bot.agent import negotiation
from bot.agent.base import AgentContext
from bot.calendar.slots import STATE_KEY, decode, describe
from bot.effects.reply_message import reply_target
from bot.events import Event
from bot.facts.extract import extract
from bot.owner_words import reading as owner_reading
from bot.pipeline.router import Judge
from bot.rules.model import Rule, Rulebook
from bot.store import Store, thread_key
from bot.store.kv import state_key
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
    reply_target: tuple[str, ...] = ()  # where a reply without its own ``to`` goes
    others: tuple[Event, ...] = ()  # recent messages of other conversations (a model's run only)


async def read_context(
    store: Store,
    *,
    route: Judge,
    rulebook: Rulebook,
    before_seq: int,
    with_model: bool,
    mail: bool = False,
    examples: int = 0,
) -> Context:
    """Memory is read only by a model, the negotiation state by a model or a mandate.
    ``mail``: the event's channel speaks email, where thread keys come from headers the
    sender wrote; the verified owner's messages always join."""
    event = route.event
    thread = thread_key(event)
    rule = route.rules[0] if route.rules else None
    target = reply_target(event) if mail else ()  # chat: the chat itself, by its ids
    known = await read_thread_context(
        store.db,
        thread=thread,
        before_seq=before_seq,
        sender=event.sender,
        since=time.time() - DAY,
        with_memory=with_model,
        with_negotiation=with_model or (rule is not None and rule.mandate is not None),
        bind=mail and not event.sender_verified_owner and not event.refs.get("forwarded_by_owner"),
        addresses=(*event.participants, *target),
        with_others=with_model,
    )
    if known.thread and known.thread != thread:
        # Its own conversation: the same event under the sender-scoped key, so replies,
        # caps and the negotiation state are those of this sender's conversation.
        event = dataclasses.replace(event, thread=known.thread.split(":", 1)[1])
        route = dataclasses.replace(route, event=event)
        thread = known.thread
    state = negotiation.state_from_json(known.negotiation) if known.negotiation else None
    if rule is not None and rule.mandate is not None:
        state = negotiation.from_thread(
            state,
            mandate=rule.mandate,
            their_offers=[extract(e).offer for e in known.history if _theirs(e)],
            sent=known.sent,
        )
    shown: tuple[tuple[str, str], ...] = ()
    if with_model and rule is not None and examples:  # the owner's edits of this rule's drafts
        shown = tuple(
            (d.text, d.final_text) for d in await store.drafts.examples(rule=rule.name, limit=examples)
        )
    agent_ctx = AgentContext(
        event=event,
        rules=route.rules,
        rulebook=rulebook,
        history=known.history,
        sent=known.sent,
        memory=known.memory,
        negotiation=state,
        extra={**owner_extra(route.owner_note), **await free_time(store, rule, rulebook)},
        facts=route.facts,
        examples=shown,
    )
    return Context(
        event=event,
        thread=thread,
        rule=rule,
        route=route,
        agent=agent_ctx,
        limits=known.limits,
        reply_target=target,
        others=known.others,
    )


def _theirs(event: Event) -> bool:
    """An earlier message of the counterpart's in the thread (not the owner's, not a
    machine's notice): its offer counts as one of theirs."""
    return event.kind == "message" and not event.sender_verified_owner


async def free_time(store: Store, rule: Rule | None, rulebook: Rulebook) -> dict[str, str]:
    """The free slots the rule's calendar connector last read, for ``$free_slots`` and
    for checking that a slot a correspondent takes is still free."""
    spec = rule.header.calendar if rule is not None else None
    if spec is None:
        return {}
    raw = await store.kv.get(state_key(spec.channel, STATE_KEY)) or ""
    slots = decode(raw).slots
    return {"free_time": raw, "free_slots": describe(slots, rulebook.owner.timezone) if slots else ""}


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
    participants = {p for e in ctx.agent.history for p in e.participants} | ctx.event.participants
    limits = await read_limits(
        store.db,
        thread=ctx.thread,
        sender=ctx.event.sender,
        since=time.time() - DAY,
        addresses=(*participants, *ctx.reply_target),
    )
    return dataclasses.replace(ctx, limits=limits)
