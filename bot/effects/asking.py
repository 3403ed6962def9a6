"""The one place an escalation to the owner is built: a question with options, each
option the actions it stands for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.actions import Action, Decision, Escalate, Forward, Ignore, Offer, Reply, Webhook, action_to_dict
from bot.gate.policy import GateResult


def ask(
    question: str,
    *,
    reason: str,
    options: tuple[str, ...] = (),
    option_actions: tuple[tuple[Action, ...], ...] = (),
    default_option: int | None = None,
    blocked_by: str = "",
) -> Escalate:
    return Escalate(
        question=question,
        reason=reason,
        options=options,
        option_actions=option_actions,
        default_option=default_option,
        blocked_by=blocked_by,
    )


def preview(actions: tuple[Action, ...]) -> str:
    """What would leave, as the owner sees it in a question."""
    return "; ".join(f"{type(a).__name__}: {action_to_dict(a).get('text', '')[:120]}" for a in actions)


def hold_for_approval(
    actions: list[Action],
    *,
    outgoing: tuple[type, ...],
    rule: str,
    question: Callable[[tuple[Action, ...]], str],
) -> list[Action]:
    """Paused autonomy: the actions of the ``outgoing`` kinds wait for the owner's yes."""
    held = tuple(a for a in actions if isinstance(a, outgoing))
    if not held:
        return actions
    kept: list[Action] = [a for a in actions if not isinstance(a, outgoing)]
    kept.append(
        ask(
            question(held),
            reason="paused",
            options=("Yes, do it", "No"),
            option_actions=(held, (Ignore(reason="owner: no"),)),
            default_option=1,
            blocked_by=rule,
        )
    )
    return kept


def owner_forward_without_rule(note: str) -> Escalate:
    """The owner forwarded a message with a note, no rule covers it, no model to read it."""
    return ask(
        f'You forwarded this with: "{note[:300]}". '
        "No rule covers it and no model is configured: what exactly should I send?",
        reason="owner forward without a matching rule",
        options=("Do nothing",),
        option_actions=((Ignore(reason="owner: nothing"),),),
        default_option=0,
    )


def owner_forward(note: str, *, rule: str, planned: tuple[Action, ...], offer: Action | None) -> Escalate:
    """The owner forwarded a message with a note and no model can carry it out: the note
    is shown, with what the rule alone would do and, when the note names a price under a
    mandate, that offer; each option's full text is shown in the question."""
    options: list[str] = []
    groups: list[tuple[Action, ...]] = []
    if offer is not None:
        options.append("Send this offer")
        groups.append((offer,))
    sending = tuple(a for a in planned if not isinstance(a, Escalate | Ignore))
    if sending:
        options.append(f"Do what rule '{rule}' says")
        groups.append(sending)
    options.append("Do nothing")
    groups.append((Ignore(reason="owner: nothing"),))
    covered = f"Rule '{rule}' covers it" if rule else "No rule covers it"
    return ask(
        f'You forwarded this with: "{note[:500]}". {covered}, and no model is configured to '
        "carry out your note: what exactly should I do?",
        reason="owner forward with a note, no model",
        options=tuple(options),
        option_actions=tuple(groups),
        default_option=len(options) - 1,
        blocked_by=rule,
    )


def with_findings(escalation: Escalate, check: Callable[[tuple[Action, ...]], tuple[str, ...]]) -> Escalate:
    """A question whose options would send something (a model's proposed reply, say)
    says what the rule's checks find in each, so that the owner's yes is informed."""
    notes = []
    for label, acts in zip(escalation.options, escalation.option_actions, strict=False):
        if any(isinstance(a, Reply | Offer | Forward | Webhook) for a in acts):
            found = check(acts)
            if found:
                notes.append(f'"{label}": the rule\'s checks found: {"; ".join(found)}')
    if not notes:
        return escalation
    return replace(escalation, question=escalation.question + "\n\n" + "\n".join(notes))


def blocked(result: GateResult, decision: Decision) -> Escalate | None:
    """What the gate blocked, put to the owner: do it anyway, or do nothing."""
    if not result.blocked:
        return None
    rule = decision.rule or "(no rule)"
    why = "; ".join(reason for _, reason in result.blocked)
    return ask(
        f"I wanted to act but rule '{rule}' does not allow it: {why}. What should I do?",
        reason=why,
        options=("Do it anyway", "Do nothing"),
        option_actions=(tuple(a for a, _ in result.blocked), (Ignore(reason="owner declined"),)),
        default_option=1,
        blocked_by=rule,
    )
