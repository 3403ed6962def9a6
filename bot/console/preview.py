"""What an answer would do, shown before it goes.

The console reads the owner's words with the same functions the owner's desk runs on
the answer (``bot/owner_words``: ``read`` then ``carry``) and the same gate findings, so
what is shown is what the desk will do: every message with its channel, its recipients
and its full text. The answer is then sent only if the text is the one previewed (a
keyed digest of question and text, checked on the way in), so the owner's yes covers
exactly the text and the recipients they saw.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from bot.actions import EXTERNAL, Action, Decision, Forward, Offer, Reply, action_to_dict
from bot.gate.policy import GateContext, PolicyGate
from bot.owner_words import carrying
from bot.owner_words.carrying import Outcome, Question
from bot.owner_words.reading import read
from bot.rules.model import Rulebook
from bot.store import Escalation

_GATE = PolicyGate()


@dataclass(frozen=True, slots=True, kw_only=True)
class Leaving:
    """One message as it would leave."""

    kind: str
    channel: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    text: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Preview:
    summary: str
    sent: tuple[Leaving, ...]  # the owner's yes covers these
    checked: tuple[Leaving, ...]  # typed from the owner's words: the rule's checks still apply
    asks_again: tuple[Leaving, ...]  # a draft Deputy will show as a new question first
    notice: str
    closes: bool
    learns: bool
    findings: tuple[str, ...]  # the rule's checks on ``checked``
    also: tuple[str, ...]  # what stays inside Deputy: filing, ignoring, remembering
    model_drafts: bool  # with a model configured, it drafts; the draft comes back as a question


def seal(key: str, escalation_id: int, text: str) -> str:
    """Binds an answer to the preview it was shown in (``key``: the session's CSRF token)."""
    return hmac.new(key.encode(), f"{escalation_id}\n{text}".encode(), hashlib.sha256).hexdigest()


def sealed(key: str, escalation_id: int, text: str, seal_: str) -> bool:
    return hmac.compare_digest(seal(key, escalation_id, text), seal_)


def _leaving(action: Action, esc: Escalation) -> Leaving | None:
    """How ``action`` leaves Deputy; None for what stays inside (file, ignore, remember)."""
    if not isinstance(action, EXTERNAL):
        return None
    event = esc.event
    match action:
        case Reply() | Offer():
            cc = action.cc if isinstance(action, Reply) else ()
            note = f"offer {action.amount:g} {action.currency}" if isinstance(action, Offer) else ""
            return Leaving(
                kind=type(action).__name__,
                channel=event.channel,
                to=action.to or (event.sender,),
                cc=cc,
                text=action.text,
                note=note,
            )
        case Forward():
            return Leaving(kind="Forward", channel=event.channel, to=action.to, cc=(), text=action.note)
        case _:
            text = str(action_to_dict(action).get("text", ""))
            return Leaving(kind=type(action).__name__, channel=event.channel, to=(), cc=(), text=text)


def _all(actions: tuple[Action, ...], esc: Escalation) -> tuple[Leaving, ...]:
    return tuple(x for x in (_leaving(a, esc) for a in actions) if x is not None)


# What the Drafts page shows of a draft's held (or edited) actions.
leaving = _all


def preview(esc: Escalation, text: str, rulebook: Rulebook) -> Preview:
    rule = rulebook.by_name(esc.rule)
    q = Question(
        id=esc.id, text=esc.question, options=esc.options, option_actions=esc.option_actions, event=esc.event
    )
    ctx = GateContext(
        event=esc.event,
        rule=rule,
        participants=esc.event.participants,
        owner_addresses=frozenset(rulebook.owner.emails),
    )

    def findings(acts: tuple[Action, ...]) -> tuple[str, ...]:
        return tuple(why for _, why in _GATE.check(Decision(actions=acts, rule=esc.rule), ctx).blocked)

    yes, no = carrying.shape(esc.options, esc.option_actions)
    reading = read(text, options=esc.options, yes_option=yes, no_option=no)
    outcome: Outcome = carrying.carry(reading, q, rule=rule, owner=rulebook.owner, findings=findings)
    again: tuple[Leaving, ...] = ()
    if outcome.ask is not None:
        for group in outcome.ask.option_actions:
            again += _all(group, esc)
    return Preview(
        summary=outcome.summary,
        sent=_all(outcome.authorized, esc),
        checked=_all(outcome.checked, esc),
        asks_again=again,
        notice=outcome.notice,
        closes=outcome.close,
        learns=bool(outcome.learn),
        model_drafts=outcome.draft_with_model,
        also=tuple(
            dict.fromkeys(
                type(a).__name__ for a in outcome.authorized + outcome.checked if not isinstance(a, EXTERNAL)
            )
        ),
        # What the owner saw or wrote goes on their authority; the rule's checks speak
        # only to what was typed from their words.
        findings=findings(outcome.checked) if outcome.checked else (),
    )
