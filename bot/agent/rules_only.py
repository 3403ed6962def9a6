"""The agent that needs no model: it carries out what a rule spells out, and asks for
everything that would need judgment. This is Deputy's behaviour when no LLM is
configured, and its fallback when the model's circuit breaker is open."""

from __future__ import annotations

from bot.actions import (
    Action,
    Commitment,
    Decision,
    Escalate,
    File,
    FollowUp,
    Forward,
    HandOff,
    Ignore,
    Reply,
    ToolCall,
    Webhook,
)
from bot.agent import negotiation
from bot.agent.base import AgentContext, NegotiationState
from bot.agent.calendar_actions import calendar_actions
from bot.agent.names import addressee
from bot.automatic import automatic_reason
from bot.events import Event
from bot.facts.text import own_text
from bot.gate.commitments import promises_in
from bot.rules.model import Rule, parse_duration_hours
from bot.rules.payload_template import render as render_payload
from bot.rules.template import already_sent, render


def template_values(event: Event, ctx: AgentContext) -> dict[str, str]:
    """What each placeholder holds for this message (bot.rules.template.PLACEHOLDERS).
    Names come from the display name only (bot.agent.names): "ap@" is no first name."""
    owner = ctx.rulebook.owner
    who = addressee(event.sender_name, event.sender)
    return {
        "sender": event.sender,
        "sender_name": who.display,
        "first_name": who.first_name,
        "name": who.greeting_name,
        "subject": event.subject,
        "owner_name": owner.name,
        "signature": owner.signature,
        "free_slots": ctx.extra.get("free_slots", ""),
    }


def render_template(template: str, *, event: Event, ctx: AgentContext) -> str:
    """Filled in one pass: inbound text can fill a placeholder but can never add one,
    and a placeholder with nothing to say leaves no gap ("Hello,", not "Hello ,")."""
    return render(template, template_values(event, ctx)).strip()


class RulesOnlyAgent:
    """Deterministic: the same event and rules always give the same Decision."""

    async def decide(self, ctx: AgentContext) -> Decision:
        rule = ctx.rule
        event = ctx.event
        if rule is None:
            return no_rule_decision(event)
        actions: list[Action] = []
        reasons: list[str] = [f"rule '{rule.name}' matched"]
        header = rule.header
        judgment_needed: list[str] = []
        if header.file is not None:
            actions.append(
                File(
                    folder=header.file.folder,
                    flags=tuple(header.file.flags),
                    save_attachments=header.file.save_attachments,
                )
            )
        if header.forward is not None:
            actions.append(Forward(to=tuple(header.forward.to), note=header.forward.note))
        repeated = False
        automatic = automatic_reason(event) or _auto_fact(ctx)
        # A negotiation that needs no model answers with its offers (``negotiate``).
        mandate = rule.mandate
        negotiating = (
            "offer" in rule.may and mandate is not None and mandate.rules_only and event.kind == "message"
        )
        # A slot taken from those offered is answered by the booking's own confirmation.
        booked, calendar_judgment = calendar_actions(ctx, rule, template_values(event, ctx))
        actions += booked
        judgment_needed += calendar_judgment
        if booked:
            pass
        elif automatic and ("reply" in rule.may or "offer" in rule.may) and header.reply is None:
            # Nothing to answer (RFC 3834 2): an out-of-office in a negotiation needs no
            # judgment, and asking the owner how to answer it is noise.
            reasons.append(f"no reply to automatic mail ({automatic})")
        elif "reply" in rule.may and not (negotiating and header.reply is None):
            if (
                header.reply is not None
                and header.reply.template
                and _no_free_slots(header.reply.template, ctx)
            ):
                judgment_needed.append("free times to offer (none read from the calendar yet)")
            elif header.reply is not None and header.reply.template:
                text = render_template(header.reply.template, event=event, ctx=ctx)
                if automatic:
                    reasons.append(f"no template reply to automatic mail ({automatic})")
                elif already_sent(header.reply.template, ctx.sent, rendered=text):
                    repeated = True
                else:
                    actions.append(
                        Reply(
                            text=text,
                            auto_submitted=header.reply.auto_submitted,
                            commits=template_commitments(text, ctx),
                        )
                    )
            else:
                judgment_needed.append("a reply with no template")
        if "offer" in rule.may and not automatic:
            if negotiating:
                move, why = negotiate(ctx, rule)
                actions.append(move)
                reasons.append(why)
            else:
                judgment_needed.append("a negotiation")
        if header.hand_off is not None:
            actions.append(hand_off_of(rule, event))
        if header.webhook is not None:
            actions.append(Webhook(url=header.webhook.url, payload=_webhook_payload(event, rule)))
        for full, arguments in header.call.items():
            server, _, tool = full.partition(".")
            values = {
                k: render_template(v, event=event, ctx=ctx) if isinstance(v, str) else v
                for k, v in arguments.items()
            }
            actions.append(ToolCall(server=server, tool=tool, arguments=values))
        if (
            header.follow_up is not None
            and "follow_up" in rule.may
            and any(isinstance(a, Reply) for a in actions)
        ):
            actions.append(FollowUp(after_hours=parse_duration_hours(header.follow_up.after)))
        if repeated:
            # The template answered this thread already; what came back (a slot
            # accepted, a question) is a person's answer the template cannot fit, and
            # filing or ignoring it would hide it. The owner reads it (or the model
            # does, when there is one: an Escalate here asks for judgment).
            reasons.append(f"the '{rule.name}' template was already sent in this thread")
            actions.append(_answer_after_template(rule, event))
        if judgment_needed:
            reasons.append(f"needs judgment ({', '.join(judgment_needed)}) and no model is configured")
            actions.append(
                Escalate(
                    question=(
                        f"Rule '{rule.name}' applies, but it needs {' and '.join(judgment_needed)}, "
                        "and no model is configured. How should I answer?"
                    ),
                    reason="needs judgment",
                    options=("Do nothing more",),
                    option_actions=((Ignore(reason="owner: nothing more"),),),
                    default_option=0,
                )
            )
        if not actions and automatic:
            # An out-of-office has nothing to answer; asking the owner about it is noise.
            actions.append(Ignore(reason=f"automatic mail: {automatic}"))
        if not actions:
            if "ignore" in rule.may:
                actions.append(Ignore(reason=f"rule '{rule.name}' says to ignore"))
            else:
                return Decision(
                    actions=(
                        Escalate(
                            question=f"Rule '{rule.name}' matched but says nothing I can do alone.",
                            reason="rule has no deterministic action",
                            options=("Do nothing",),
                            option_actions=((Ignore(reason="owner: nothing"),),),
                            default_option=0,
                        ),
                    ),
                    reasons=(*reasons, "nothing to do without judgment"),
                    rule=rule.name,
                )
        return Decision(actions=tuple(actions), reasons=tuple(reasons), rule=rule.name)

    async def close(self) -> None:
        return None


def negotiate(ctx: AgentContext, rule: Rule) -> tuple[Action, str]:
    """A negotiation rule that needs no model (``mandate.rules_only``): the plan decides
    the number and ``negotiation.offer_text`` says it. An acceptance of our last offer,
    or a refusal without a price, ends the thread with no reply: a deal or a stop is not
    answered with thanks (two Deputies would thank each other without end)."""
    mandate = rule.mandate
    assert mandate is not None
    state = ctx.negotiation or NegotiationState()
    theirs, plan = negotiation.plan_from(mandate, state, ctx.facts.offer, own_words=own_text(ctx.event.text))
    if negotiation.they_accepted(state, theirs.amount, answer=ctx.facts.answer):
        return Ignore(reason=f"deal: they accepted our {theirs.amount:g} {mandate.currency}"), "deal closed"
    if ctx.facts.answer == "declines" and theirs.amount is None:
        return Ignore(reason="they declined: the negotiation ends"), "they declined"
    if plan.kind in ("counter", "accept"):
        return negotiation.offer_from_plan(plan, mandate), plan.reason
    if state.closed:
        return Ignore(reason=plan.reason), plan.reason
    # Beyond the mandate, the rounds used up, or no new price to weigh: the owner decides.
    ask = negotiation.escalation(mandate, state, theirs.amount, rule=rule.name, reason=plan.reason)
    return ask, plan.reason


def _auto_fact(ctx: AgentContext) -> str | None:
    """The facts' reading of the subject and text (``bot.facts.auto``), which knows more
    languages and wordings than the header-and-prefix check."""
    auto = ctx.facts.auto
    return f"{auto.replace('_', '-')}, told by its subject and text" if auto else None


def hand_off_of(rule: Rule, event: Event) -> HandOff:
    """The contract a rule spells out: to its first department, about this conversation."""
    spec = rule.header.hand_off
    assert spec is not None
    return HandOff(
        to=spec.to[0],
        objective=spec.objective or event.subject or f"the message from {event.sender}",
        constraints=tuple(spec.constraints),
        context=f"{event.channel}:{event.thread}",
        expected=spec.expected,
        deadline_hours=parse_duration_hours(spec.deadline) if spec.deadline else None,
    )


def _no_free_slots(template: str, ctx: AgentContext) -> bool:
    return "free_slots" in template and not ctx.extra.get("free_slots")


def _answer_after_template(rule: Rule, event: Event) -> Escalate:
    who = f"{event.sender_name} <{event.sender}>" if event.sender_name else event.sender
    excerpt = " ".join(event.text.split())[:300]
    return Escalate(
        question=(
            f"{who} answered in a thread where I already sent the '{rule.name}' reply, "
            f'so I will not send it again. They wrote: "{excerpt}". How should I answer?'
        ),
        reason="template already sent in this thread",
        options=("Do nothing more",),
        option_actions=((Ignore(reason="owner: nothing more"),),),
        default_option=0,
    )


def template_commitments(text: str, ctx: AgentContext) -> tuple[Commitment, ...]:
    """The typed commitments a template's words make, from the facts of the message.

    The gate blocks free text that commits without a typed field, so a template that
    says "it will be paid this week" must say *what* will be paid: the amount due. With
    no amount due, nothing is typed, the gate stops the reply and the owner is asked.
    An explicit date in the template is typed as written; a relative one ("within three
    days") cannot be, and goes to the owner the same way."""
    out: list[Commitment] = []
    promises = promises_in(text, year=ctx.event.received_at.year)
    if any(p.kind == "pay" for p in promises):
        amount = _amount_due(ctx)
        if amount is not None:
            out.append(Commitment(kind="pay", amount=amount[0], currency=amount[1]))
    for p in promises:
        if p.kind == "date" and p.on is not None:
            out.append(Commitment(kind="date", on=p.on.isoformat()))
    return tuple(out)


def _amount_due(ctx: AgentContext) -> tuple[float, str] | None:
    due = ctx.facts.amount_due
    if due is not None:
        return (float(due.value), due.currency) if due.currency else None
    return None


def no_rule_decision(event: Event) -> Decision:
    """Sieve's implicit keep (RFC 5228 2.10.2): no rule covers it, so never guess."""
    # Always show the address: a display name alone is exactly what a forger controls.
    who = f"{event.sender_name} <{event.sender}>" if event.sender_name else (event.sender or event.channel)
    what = f"'{event.subject}'" if event.subject else "a message"
    return Decision(
        actions=(
            Escalate(
                question=f"No rule covers {what} from {who}. What should I do?",
                reason="no rule matched",
                options=("Do nothing",),
                option_actions=((Ignore(reason="owner: do nothing"),),),
                default_option=0,
            ),
        ),
        reasons=("no rule matched",),
        rule="",
    )


def _webhook_payload(event: Event, rule: Rule) -> dict[str, object]:
    declared = rule.header.webhook.payload if rule.header.webhook is not None else None
    if declared is not None:
        rendered: dict[str, object] = render_payload(declared, event, rule=rule.name)
        return rendered
    return {
        "rule": rule.name,
        "event_id": event.id,
        "channel": event.channel,
        "sender": event.sender,
        "subject": event.subject,
        "received_at": event.received_at.isoformat(),
    }
