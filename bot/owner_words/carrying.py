"""What an owner's answer makes happen, within the rules.

Why a separate step from the reading: the reading says what the words mean, this says
what Deputy may do about it with whose authority. The owner's authority covers exactly
what the owner saw (an option's actions, shown in full in the question) or wrote (text
to the correspondent). Anything Deputy writes itself — a refusal from a template, a
model's draft, a model's reading of the answer — is shown to the owner as a new question
and leaves only on the owner's yes to that exact text and those recipients. A typed
price ("yes, but only 850") becomes an ``Offer`` that the gate checks against the
mandate like any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.actions import Action, Escalate, Ignore, Offer, Reply
from bot.effects import asking
from bot.events import Event
from bot.first_char import guarded
from bot.gate.textscan import money_in
from bot.owner import OwnerProfile
from bot.owner_words.reading import Choice, Instruct, Policy, Reading, Send, Unclear
from bot.rules.model import Rule

Findings = Callable[[tuple[Action, ...]], tuple[str, ...]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    """The part of an escalation the carrying needs."""

    id: int
    text: str
    options: tuple[str, ...]
    option_actions: tuple[tuple[Action, ...], ...]
    event: Event


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    summary: str
    authorized: tuple[Action, ...] = ()  # the owner saw or wrote exactly these
    checked: tuple[Action, ...] = ()  # typed from the owner's words: the rule's checks apply
    ask: Escalate | None = None  # a draft for the owner's yes, on the same conversation
    notice: str = ""  # told to the owner where they answered
    close: bool = True  # False: the question stays open (hold, unclear)
    learn: tuple[Action, ...] = ()  # a policy: what a learned rule would repeat
    draft_with_model: bool = False  # an instruction a model should draft, if there is one
    extra: dict[str, str] = field(default_factory=dict)


def shape(
    options: tuple[str, ...], option_actions: tuple[tuple[Action, ...], ...]
) -> tuple[int | None, int | None]:
    """The options a plain yes and a plain no pick: a yes only where the question is a
    yes/no question (one option that acts, the others do nothing)."""
    acting = [i for i, acts in enumerate(option_actions) if acts and not _only_ignore(acts)]
    passive = [i for i, acts in enumerate(option_actions) if not acts or _only_ignore(acts)]
    negative = [
        i
        for i, label in enumerate(options)
        if re.search(r"(?i)\b(?:no|nothing|decline|ignore|skip)\b", label)
    ]
    no = passive[-1] if passive else (negative[-1] if negative else None)
    yes = acting[0] if len(acting) == 1 and len(options) <= 3 else None
    if not acting and len(options) == 2 and 0 not in negative:  # "Yes, learn it" / "No"
        yes = 0
    return yes, no


def carry(
    reading: Reading, q: Question, *, rule: Rule | None, owner: OwnerProfile, findings: Findings
) -> Outcome:
    match reading:
        case Choice(index=index):
            return _choice(index, q)
        case Send(text=text):
            reply = Reply(text=text, auto_submitted=False)
            return Outcome(summary="reply with the owner's text", authorized=(reply,))
        case Instruct():
            return _instruct(reading, q, rule=rule, owner=owner, findings=findings)
        case Policy():
            return _policy(reading, q, rule=rule, owner=owner, findings=findings)
        case Unclear(question=question):
            return Outcome(summary="unclear: asked back", notice=f"#{q.id}: {question}", close=False)


def _choice(index: int, q: Question) -> Outcome:
    if not 0 <= index < len(q.options):
        return Outcome(summary="no such option", notice=f"#{q.id} has no option {index + 1}.", close=False)
    acts = q.option_actions[index] if index < len(q.option_actions) else ()
    return Outcome(summary=f"option {index + 1}: {q.options[index]}", authorized=acts)


def _instruct(
    reading: Instruct, q: Question, *, rule: Rule | None, owner: OwnerProfile, findings: Findings
) -> Outcome:
    who = q.event.sender_name or q.event.sender
    match reading.intent:
        case "hold":
            return Outcome(
                summary="hold: the owner checks first",
                notice=f"Understood: I send nothing. Question #{q.id} stays open; answer it when you are "
                "ready.",
                close=False,
            )
        case "handle_myself":
            return Outcome(
                summary="the owner handles it personally",
                authorized=(Ignore(reason="owner: handles it personally"),),
                notice=f"Noted: I leave the conversation with {who} to you and send nothing.",
            )
        case "ignore":
            return Outcome(summary="ignore", authorized=(Ignore(reason="owner: ignore"),))
        case "decline":
            reply = Reply(text=refusal(q.event, owner), auto_submitted=False)
            ask = draft(q, reading.text, (reply,), findings=findings, label="Send this refusal")
            return Outcome(
                summary="decline: a refusal drafted for the owner's yes", ask=ask, draft_with_model=True
            )
        case "offer":
            return _offer(reading, q, rule=rule)
        case "draft":
            return Outcome(
                summary="an instruction that needs drafting",
                notice=(
                    f"#{q.id}: I cannot write that message myself without a model. Write the text "
                    'you want sent, starting with "reply:", or pick an option.'
                ),
                close=False,
                draft_with_model=True,
            )


def _offer(reading: Instruct, q: Question, *, rule: Rule | None) -> Outcome:
    assert reading.amount is not None
    mandate = rule.mandate if rule is not None else None
    if mandate is None:
        return Outcome(
            summary="a price, but no mandate",
            notice=f"#{q.id}: no negotiation rule covers this conversation, so I cannot offer "
            f'{reading.amount:g}. Write the text you want sent, starting with "reply:".',
            close=False,
            draft_with_model=True,
        )
    currency = reading.currency or mandate.currency
    offer = Offer(text=f"We can do {reading.amount:g} {currency}.", amount=reading.amount, currency=currency)
    return Outcome(summary=f"offer {reading.amount:g} {currency}", checked=(offer,))


def _policy(
    reading: Policy, q: Question, *, rule: Rule | None, owner: OwnerProfile, findings: Findings
) -> Outcome:
    if reading.unreadable:
        return Outcome(
            summary="a policy with a condition code cannot check",
            notice=(
                f'#{q.id}: I cannot check "{reading.unreadable}" by code, so I learned nothing and '
                'did nothing. Pick an option, or say the rule with an amount ("if under 500 EUR").'
            ),
            close=False,
        )
    now = carry(reading.now, q, rule=rule, owner=owner, findings=findings)
    learn = now.authorized if not now.ask and not now.checked else ()
    if reading.never:
        learn = (Ignore(reason="learned rule"),)
    bound = reading.amount
    if bound is not None and not _within(q.event.text, bound):
        return Outcome(
            summary=f"policy learned; this message is outside it ({_bound_text(bound)})",
            notice=f"#{q.id}: this message is not {_bound_text(bound)}, so, as you said, I keep asking: "
            "the question stays open.",
            close=False,
            learn=learn,
        )
    return Outcome(
        summary=now.summary,
        authorized=now.authorized,
        checked=now.checked,
        ask=now.ask,
        notice=now.notice,
        close=now.close,
        learn=learn,
        draft_with_model=now.draft_with_model,
    )


def _within(text: str, bound: dict[str, object]) -> bool:
    currency = bound["currency"]
    amounts = [a for a, c in money_in(text) if c == currency]
    if not amounts:
        return False  # no readable amount: not covered, the owner is asked
    amount = max(amounts)
    low, high = bound.get("min"), bound.get("max")
    return (not isinstance(low, float) or amount >= low) and (not isinstance(high, float) or amount <= high)


def _bound_text(bound: dict[str, object]) -> str:
    parts = []
    if isinstance(bound.get("min"), float):
        parts.append(f"at least {bound['min']:g}")
    if isinstance(bound.get("max"), float):
        parts.append(f"at most {bound['max']:g}")
    return " and ".join(parts) + f" {bound['currency']}"


def draft(
    q: Question,
    answer: str,
    actions: tuple[Action, ...],
    *,
    findings: Findings,
    label: str = "Send this",
    intro: str = "",
) -> Escalate:
    """A draft shown in full for the owner's yes: the exact text, the recipients (in the
    prompt, from the option's actions) and what the rule's checks say about it."""
    found = findings(actions)
    checks = (
        "\n\nThe rule's checks found: " + "; ".join(found) + ". Your yes sends it anyway, exactly as shown."
        if found
        else ""
    )
    lead = (
        intro
        or f'You answered #{q.id} with "{answer[:300]}". This is what I would do; nothing leaves '
        "without your yes."
    )
    return asking.ask(
        lead + checks,
        reason="draft for the owner's yes",
        options=(label, "Do nothing"),
        option_actions=(actions, (Ignore(reason="owner: not this draft"),)),
        default_option=1,
    )


_GERMAN = guarded(r"(?i)\b(?:und|ich|wir|sie|nicht|bitte|danke|rechnung|mit|für|ist)\b")
_FRENCH = guarded(r"(?i)\b(?:et|je|nous|vous|pas|merci|facture|avec|pour|est|le|la|les)\b")


def refusal(event: Event, owner: OwnerProfile) -> str:
    """A short polite refusal from a fixed template, in the correspondent's language."""
    first = (event.sender_name or event.sender.split("@")[0]).split()[0] if event.sender else ""
    text = f"{event.subject} {event.text}"
    german, french = len(_GERMAN.findall(text)), len(_FRENCH.findall(text))
    if german > 2 and german >= french:
        body = (
            f"Hallo {first},\n\nvielen Dank für Ihre Nachricht. Wir möchten das leider nicht weiterverfolgen."
        )
    elif french > 2:
        body = (
            f"Bonjour {first},\n\nmerci pour votre message. "
            "Nous ne souhaitons malheureusement pas donner suite."
        )
    else:
        body = f"Hello {first},\n\nthank you for your message. We will not take this further."
    return f"{body}\n\n{owner.signature}".strip()


def _only_ignore(actions: tuple[Action, ...]) -> bool:
    return all(isinstance(a, Ignore) for a in actions)
