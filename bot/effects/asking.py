"""The one place an escalation to the owner is built: a question with options, each
option the actions it stands for."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from bot.actions import (
    EXTERNAL,
    Action,
    Decision,
    Escalate,
    Forward,
    Ignore,
    Offer,
    Reply,
    ToolCall,
    Webhook,
    action_to_dict,
)
from bot.events import Event
from bot.facts import Facts
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
    """What would leave, as the owner sees it in a question: for a message, whom it goes
    to and its full text (the owner's yes covers exactly what they were shown)."""
    return "\n\n".join(_shown(a) for a in actions)


def _shown(action: Action) -> str:
    name = type(action).__name__
    match action:
        case Reply() | Offer():
            cc = action.cc if isinstance(action, Reply) else ()
            to = ", ".join(action.to) or "the sender"
            head = f"{name} to {to}" + (f", cc {', '.join(cc)}" if cc else "")
            if isinstance(action, Offer):
                head += f" (offer {action.amount:g} {action.currency})"
            return f"{head}:\n{_quoted(action.text)}"
        case Forward():
            return f"{name} to {', '.join(action.to)}:\n{_quoted(action.note)}"
        case ToolCall():
            # Every argument: a yes covers exactly the call the owner saw.
            return f"call {action.full_name} with: {json.dumps(action.arguments, ensure_ascii=False)}"
        case _:
            text = str(action_to_dict(action).get("text", ""))
            return f"{name}: {text}" if text else name


def _quoted(text: str) -> str:
    return "\n".join("| " + line for line in text.strip().splitlines()) or "| (empty)"


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
    held = tuple(a for a, _ in result.blocked)
    return ask(
        f"I wanted to act but rule '{rule}' does not allow it: {why}.\n\n"
        f"What I would do:\n{preview(held)}\n\nWhat should I do?",
        reason=why,
        options=("Do it anyway", "Do nothing"),
        option_actions=(tuple(a for a, _ in result.blocked), (Ignore(reason="owner declined"),)),
        default_option=1,
        blocked_by=rule,
    )


def outgoing_preview(actions: tuple[Action, ...], *, sender: str) -> str:
    """Everything that would leave, in full, with its recipients: what the owner's yes
    covers (and nothing else rides on it)."""
    lines: list[str] = []
    for a in actions:
        match a:
            case Reply() | Offer():
                to = ", ".join(a.to or (sender,)) if isinstance(a, Reply) else sender
                lines.append(f"To {to}:\n{a.text}")
            case Forward():
                lines.append(f"Forward to {', '.join(a.to)}" + (f" with: {a.note}" if a.note else ""))
            case _:
                lines.append(f"{type(a).__name__}: {action_to_dict(a)}")
    return "\n\n".join(lines)


def ask_before(planned: Decision, why: str, facts: Facts, *, event: Event) -> Decision:
    """The rule would act, but the facts say ask: what stays inside Deputy (filing,
    remembering) is done; what would leave is held as the option the owner can approve,
    shown in full with its recipients."""
    held = tuple(a for a in planned.actions if isinstance(a, EXTERNAL) and not isinstance(a, Escalate))
    kept = tuple(a for a in planned.actions if not isinstance(a, (*EXTERNAL, Escalate)))
    who = f"{event.sender_name} <{event.sender}>" if event.sender_name else event.sender
    said = facts.summary()
    question = f'{who} wrote "{event.subject or "(no subject)"}"' + (f" ({said})" if said else "") + "."
    question += f" I did not act on rule '{planned.rule}' because {why}."
    if held:
        question += "\nThe rule would have sent:\n\n" + outgoing_preview(held, sender=event.sender)
        options: tuple[str, ...] = ("Send exactly this", "Do nothing")
        option_actions: tuple[tuple[Action, ...], ...] = (held, (Ignore(reason="owner: nothing"),))
    else:
        options, option_actions = ("Do nothing",), ((Ignore(reason="owner: nothing"),),)
    question += "\nWhat should I do?"
    escalate = ask(
        question,
        reason=why,
        options=options,
        option_actions=option_actions,
        default_option=len(options) - 1,
        blocked_by=planned.rule,
    )
    return Decision(
        actions=(*kept, escalate),
        reasons=(*planned.reasons, f"asked: {why}"),
        rule=planned.rule,
    )
