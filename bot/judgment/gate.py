"""Step 4, gate: every action checked against the rule that allowed it, each reply with
its real recipients filled in first (the context step decided where a reply goes); what is blocked
becomes an escalation saying which rule blocked it. The negotiation advances on what
passed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from bot.actions import Action, Decision, Escalate, Offer, Reply
from bot.agent import negotiation
from bot.config import Settings
from bot.departments.handoff import address_of
from bot.effects import asking
from bot.effects.reply_message import addressed
from bot.gate.foreign import foreign_snippets
from bot.gate.policy import GateContext, GateResult, PolicyGate
from bot.judgment.context import Context
from bot.rules.model import Rulebook


@dataclass(slots=True)
class Checked:
    allowed: list[Action]
    blocked: list[str] = field(default_factory=list)
    negotiation_state: str | None = None  # JSON of the advanced state, when there is a mandate
    shadow: tuple[str, ...] = ()  # a shadow rule: what it would have done (nothing is)


def gate_context(ctx: Context, *, settings: Settings, rulebook: Rulebook) -> GateContext:
    event = ctx.event
    mandate = ctx.rule.mandate if ctx.rule is not None else None
    negotiation_fields: dict[str, Any] = {}
    if mandate is not None:
        theirs = negotiation.their_price(ctx.route.facts.offer, mandate).amount
        negotiation_fields = dict(negotiation.gate_fields(ctx.agent.negotiation, theirs=theirs))
    participants = set(event.participants)
    for before in ctx.agent.history:
        participants |= before.participants
    return GateContext(
        event=event,
        rule=ctx.rule,
        participants=frozenset(participants),
        replies_in_thread_24h=ctx.limits.replies_in_thread_24h,
        sends_to_correspondent_24h=ctx.limits.sends_to_correspondent_24h,
        sends_to_24h=ctx.limits.sends_to,
        replies_per_thread_cap=settings.limits.replies_per_thread,
        handoff_chain_cap=settings.limits.handoff_chain,
        unbudgeted=frozenset(address_of(name) for name in settings.departments),
        sends_per_correspondent_cap=settings.limits.sends_per_correspondent,
        owner_addresses=frozenset(rulebook.owner.emails),
        trusted_text="\n".join((*ctx.agent.sent, ctx.route.owner_note)),
        facts=ctx.route.facts,
        foreign_snippets=foreign_snippets(ctx.others, own=_own_texts(ctx)),
        **negotiation_fields,
    )


def _own_texts(ctx: Context) -> list[str]:
    """Everything this conversation, the owner and the rule already say."""
    rule = ctx.rule
    texts = [ctx.event.subject, ctx.event.text, *ctx.agent.sent, ctx.route.owner_note]
    texts += [t for e in ctx.agent.history for t in (e.subject, e.text)]
    texts += [t for _, t in ctx.agent.memory]
    if rule is not None:
        texts += [rule.instructions, rule.header.reply.template or "" if rule.header.reply else ""]
    return texts


def check(
    gate: PolicyGate, decision: Decision, ctx: Context, *, settings: Settings, rulebook: Rulebook
) -> Checked:
    decision = dataclasses.replace(decision, actions=addressed(decision.actions, ctx.reply_target))
    gate_ctx = gate_context(ctx, settings=settings, rulebook=rulebook)
    result = gate.check(decision, gate_ctx)
    state = None
    mandate = ctx.rule.mandate if ctx.rule is not None else None
    if mandate is not None:
        theirs = negotiation.their_price(ctx.route.facts.offer, mandate).amount
        accepted = negotiation.they_accepted(ctx.agent.negotiation, theirs, answer=ctx.route.facts.answer)
        advanced = negotiation.advance(
            ctx.agent.negotiation, theirs=theirs, allowed=result.allowed, accepted=accepted
        )
        state = negotiation.state_to_json(advanced) if advanced else None

    def findings(acts: tuple[Action, ...]) -> tuple[str, ...]:
        probe = Decision(actions=acts, rule=decision.rule)
        return tuple(why for _, why in gate.check(probe, gate_ctx).blocked)

    allowed = [asking.with_findings(a, findings) if isinstance(a, Escalate) else a for a in result.allowed]
    # Mail that must get no automatic reply (RFC 3834; the etiquette step drops replies)
    # does not ask the owner about a reply the gate stopped: it would never be sent.
    askable = result
    if ctx.route.no_reply:
        kept = tuple((a, why) for a, why in result.blocked if not isinstance(a, Reply | Offer))
        askable = GateResult(allowed=result.allowed, blocked=kept)
    escalation = asking.blocked(askable, decision)
    if escalation is not None:
        allowed.append(escalation)
    return Checked(
        allowed=allowed,
        blocked=[f"{type(a).__name__}: {why}" for a, why in result.blocked],
        negotiation_state=state,
    )
