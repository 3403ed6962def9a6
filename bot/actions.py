"""The closed vocabulary of things Deputy may do.

Every agent (rules-only or LLM) proposes only these; the policy gate checks each one
against the rule that allowed it; the executor turns the survivors into outbox rows.
A ``match`` over ``Action`` ends with ``assert_never`` so a new kind cannot be
forgotten by the gate or the executor.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, assert_never

# The names a rule's ``may`` list uses. "escalate" is always allowed and never listed.
ACTION_NAMES: frozenset[str] = frozenset(
    ["reply", "forward", "file", "ignore", "follow_up", "remember", "webhook", "offer"]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """Answer in the same conversation. ``to`` defaults to the sender."""

    text: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    auto_submitted: bool = True  # RFC 3834 "auto-replied"; a rule may opt out


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    """A reply that commits to a price: checked by code against the rule's mandate."""

    text: str
    amount: float
    currency: str
    final: bool = False  # accepting the counterpart's offer closes the deal


@dataclass(frozen=True, slots=True, kw_only=True)
class Forward:
    to: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class File:
    folder: str
    flags: tuple[str, ...] = ()
    save_attachments: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Ignore:
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalate:
    """Ask the owner. ``options`` are labels; ``option_actions`` what each one does."""

    question: str
    reason: str = ""
    options: tuple[str, ...] = ()
    option_actions: tuple[tuple[Action, ...], ...] = ()
    default_option: int | None = None  # index applied when the deadline passes
    deadline_hours: float | None = None
    blocked_by: str = ""  # the rule (or check) that stopped an action, when that is why


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUp:
    """Come back to this thread later if nobody answered."""

    after_hours: float
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Remember:
    subject: str  # a contact address or a topic
    fact: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook:
    url: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notify:
    """Tell the owner something (no answer expected). Internal: never from a rule."""

    text: str
    channel: str = ""  # answer on this channel (where the owner spoke); "" = preferred


Action = Reply | Offer | Forward | File | Ignore | Escalate | FollowUp | Remember | Webhook | Notify

_TYPES: dict[str, type] = {
    t.__name__: t
    for t in (Reply, Offer, Forward, File, Ignore, Escalate, FollowUp, Remember, Webhook, Notify)
}


def action_name(action: Action) -> str:
    """The ``may`` name that permits this action."""
    match action:
        case Reply():
            return "reply"
        case Offer():
            return "offer"
        case Forward():
            return "forward"
        case File():
            return "file"
        case Ignore():
            return "ignore"
        case Escalate():
            return "escalate"
        case FollowUp():
            return "follow_up"
        case Remember():
            return "remember"
        case Webhook():
            return "webhook"
        case Notify():
            return "notify"
        case _:
            assert_never(action)


def action_to_dict(action: Action) -> dict[str, Any]:
    data = asdict(action)
    if isinstance(action, Escalate):
        data["option_actions"] = [[action_to_dict(a) for a in group] for group in action.option_actions]
    data["type"] = type(action).__name__
    return data


def action_from_dict(data: dict[str, Any]) -> Action:
    data = dict(data)
    cls = _TYPES[data.pop("type")]
    if cls is Escalate:
        data["option_actions"] = tuple(
            tuple(action_from_dict(a) for a in group) for group in data.get("option_actions", ())
        )
        data["options"] = tuple(data.get("options", ()))
    for key in ("to", "cc", "flags"):
        if key in data and isinstance(data[key], list):
            data[key] = tuple(data[key])
    action: Action = cls(**data)
    return action


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What an agent proposes for one event, and why. The gate may still refuse parts."""

    actions: tuple[Action, ...]
    reasons: tuple[str, ...] = ()
    rule: str = ""  # the rule that allowed these actions ("" = none matched)
    llm_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0

    def to_json(self) -> str:
        return json.dumps(
            {
                "actions": [action_to_dict(a) for a in self.actions],
                "reasons": list(self.reasons),
                "rule": self.rule,
                "llm_calls": self.llm_calls,
                "tokens_in": self.tokens_in,
                "tokens_out": self.tokens_out,
            },
            ensure_ascii=False,
        )
