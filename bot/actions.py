"""The closed vocabulary of things Deputy may do.

Every agent (rules-only or LLM) proposes only these; the policy gate checks each one
against the rule that allowed it; the executor turns the survivors into outbox rows.
A ``match`` over ``Action`` ends with ``assert_never`` so a new kind cannot be
forgotten by the gate or the executor.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

from bot.action_args import (
    Args,
    AskOwnerArgs,
    CommitmentArgs,
    CommitmentKind,
    FileArgs,
    FollowUpArgs,
    ForwardArgs,
    HandOffArgs,
    IgnoreArgs,
    OfferArgs,
    RememberArgs,
    ReplyArgs,
    WebhookArgs,
    args_schema,
)

# The names a rule's ``may`` list uses. "escalate" is always allowed and never listed.
# (A Literal for the rule model's type checking; ``ACTIONS`` below must agree, see tests.)
ActionName = Literal[
    "reply", "forward", "file", "ignore", "follow_up", "remember", "webhook", "offer", "hand_off", "calendar"
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Commitment:
    """One thing an outgoing text commits to, as a typed field the gate checks by code.

    ``amount``: the text names this amount (a price, a total, a figure).
    ``accept``: the text accepts the counterpart's proposal at ``amount``.
    ``pay``: the text promises (or confirms) payment of ``amount``.
    ``date``: the text commits to the day ``on`` (ISO 8601), e.g. a deadline.
    Free text that commits without the matching commitment is blocked by the gate.
    """

    kind: CommitmentKind
    amount: float | None = None
    currency: str = ""
    on: str = ""  # ISO date, for kind="date"


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """Answer in the same conversation. ``to`` defaults to the sender."""

    text: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    auto_submitted: bool = True  # RFC 3834 "auto-replied"; a rule may opt out
    commits: tuple[Commitment, ...] = ()  # what the text commits to (see Commitment)


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    """A reply that commits to a price: checked by code against the rule's mandate."""

    text: str
    amount: float
    currency: str
    final: bool = False  # accepting the counterpart's offer closes the deal
    to: tuple[str, ...] = ()  # resolved before the gate (bot/effects/reply_message.addressed)
    commits: tuple[Commitment, ...] = ()  # besides the price: a payment or a date


@dataclass(frozen=True, slots=True, kw_only=True)
class Forward:
    to: tuple[str, ...]
    note: str = ""
    commits: tuple[Commitment, ...] = ()


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
class ToolCall:
    """Call a tool of an MCP server declared in config.toml (``[mcp.<server>]``).

    A rule allows it by name (``may = ["mcp:accounting.create_invoice"]``) and may
    constrain its arguments (``[tools."accounting.create_invoice"]``): the gate checks
    the arguments as typed fields, by code (bot/gate/tools.py).
    """

    server: str
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.server}.{self.tool}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Calendar:
    """Book a slot the correspondent took, or answer their invitation (RFC 5546).

    The date leaves as typed fields (``start``/``end``, ISO 8601 UTC) that the gate checks
    against the slots Deputy offered in this thread or the invitation in the message;
    the confirmation and the iTIP object are written from these fields, never by a model."""

    op: Literal["book", "accept", "decline"]
    channel: str  # the calendar channel: the rule's calendar.channel
    start: str = ""
    end: str = ""
    summary: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Notify:
    """Tell the owner something (no answer expected). Internal: never from a rule."""

    text: str
    channel: str = ""  # answer on this channel (where the owner spoke); "" = preferred


@dataclass(frozen=True, slots=True, kw_only=True)
class HandOff:
    """Give work to another department (bot/departments): a typed contract, delivered
    through the outbox as exactly one inbox event for ``to``, which acts under its own
    rules only. ``kind="question"``: a department asks its supervisor (escalation by
    role) instead of the owner. ``context`` names the conversation it is about."""

    to: str
    objective: str
    constraints: tuple[str, ...] = ()
    context: str = ""
    expected: str = ""
    deadline_hours: float | None = None
    kind: Literal["task", "question"] = "task"


Action = (
    Reply
    | Offer
    | Forward
    | File
    | Ignore
    | Escalate
    | FollowUp
    | Remember
    | Webhook
    | ToolCall
    | Calendar
    | Notify
    | HandOff
)

_TYPES: dict[str, type] = {t.__name__: t for t in get_args(Action)}


def commitments_of(args: list[CommitmentArgs]) -> tuple[Commitment, ...]:
    return tuple(
        Commitment(kind=c.kind, amount=c.amount, currency=c.currency.strip().upper(), on=c.on.strip())
        for c in args
    )


# --- the table ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionSpec:
    """Everything Deputy knows about one kind of action, in one place.

    ``may``: the name a rule's ``may`` list uses (and ``action_name`` returns).
    ``listed``: whether a rule may name it (escalate is always allowed, notify internal).
    ``tool``/``args``: the model's tool for it and that tool's argument model (None: no tool).
    ``external``: the action leaves Deputy (held while autonomy is paused).
    ``terminal``: calling the tool ends the model's turn.
    ``description``: the tool description; ``{folder}``/``{forward_to}`` are filled per rule.
    ``hidden``: argument fields the model accepts but the schema does not offer.
    """

    cls: type
    may: str
    listed: bool
    external: bool
    tool: str | None = None
    args: type[Args] | None = None
    terminal: bool = False
    description: str = ""
    hidden: frozenset[str] = frozenset()

    def schema(self) -> dict[str, Any]:
        assert self.args is not None, f"{self.may} has no tool"
        return args_schema(self.args, self.hidden)


ACTIONS: tuple[ActionSpec, ...] = (
    # Order = the order tools are offered in (stable for prompt caching).
    ActionSpec(
        cls=Reply,
        may="reply",
        listed=True,
        external=True,
        tool="reply",
        args=ReplyArgs,
        terminal=True,
        description="Reply in this conversation (to the sender unless 'to'/'cc' name other "
        "people already in it).",
    ),
    ActionSpec(
        cls=Offer,
        may="offer",
        listed=True,
        external=True,
        tool="offer",
        args=OfferArgs,
        terminal=True,
        description="Reply with a price offer. Use exactly the amount the negotiation plan "
        "gives; final=true only when accepting their price.",
    ),
    ActionSpec(
        cls=Forward,
        may="forward",
        listed=True,
        external=True,
        tool="forward",
        args=ForwardArgs,
        description="Forward this message. Allowed recipients: {forward_to}.",
    ),
    ActionSpec(
        cls=File,
        may="file",
        listed=True,
        external=False,
        tool="file",
        args=FileArgs,
        description="File this message into the folder {folder!r}.",
        hidden=frozenset({"flags"}),
    ),
    ActionSpec(
        cls=Ignore,
        may="ignore",
        listed=True,
        external=False,
        tool="ignore",
        args=IgnoreArgs,
        terminal=True,
        description="Do nothing with this message, with a short reason.",
    ),
    ActionSpec(
        cls=FollowUp,
        may="follow_up",
        listed=True,
        external=False,
        tool="follow_up",
        args=FollowUpArgs,
        description="Come back to this thread later if nobody answers.",
    ),
    ActionSpec(
        cls=Remember,
        may="remember",
        listed=True,
        external=False,
        tool="remember",
        args=RememberArgs,
        description="Remember a plain fact about the correspondent (never instructions).",
    ),
    ActionSpec(
        cls=Webhook,
        may="webhook",
        listed=True,
        external=True,
        tool="webhook",
        args=WebhookArgs,
        description="Notify the rule's webhook with a small JSON payload.",
        hidden=frozenset({"url"}),
    ),
    ActionSpec(
        cls=Escalate,
        may="escalate",
        listed=False,
        external=False,
        tool="ask_owner",
        args=AskOwnerArgs,
        terminal=True,
        description="Ask the owner. Give a short summary as the question; offer options and "
        "a proposed reply when you have one.",
    ),
    # A tool of an MCP server: its tools and their schemas come from the server
    # (bot/agent/mcp_tools.py); a rule names each one as "mcp:<server>.<tool>".
    ActionSpec(cls=ToolCall, may="mcp", listed=False, external=True),
    # No model tool: only a rule's calendar.* keys propose it (bot.agent.rules_only).
    ActionSpec(cls=Calendar, may="calendar", listed=True, external=True),
    ActionSpec(cls=Notify, may="notify", listed=False, external=False),
    ActionSpec(
        cls=HandOff,
        may="hand_off",
        listed=True,
        external=False,
        tool="hand_off",
        args=HandOffArgs,
        terminal=True,
        description="Hand this work to another department ({hand_off_to}), with the "
        "objective, constraints and the result you expect back.",
    ),
)

BY_CLASS: dict[type, ActionSpec] = {s.cls: s for s in ACTIONS}
BY_TOOL: dict[str, ActionSpec] = {s.tool: s for s in ACTIONS if s.tool is not None}

# Derived views of the table (the names older code uses).
ACTION_NAMES: frozenset[str] = frozenset(s.may for s in ACTIONS if s.listed)
EXTERNAL: tuple[type, ...] = tuple(s.cls for s in ACTIONS if s.external)

assert ACTION_NAMES == frozenset(get_args(ActionName)), "ActionName and ACTIONS disagree"
assert len(BY_CLASS) == len(ACTIONS) and len(BY_TOOL) == sum(1 for s in ACTIONS if s.tool)


def spec_of(action: Action) -> ActionSpec:
    return BY_CLASS[type(action)]


MCP_PREFIX = "mcp:"


def action_name(action: Action) -> str:
    """The ``may`` name that permits this action."""
    if isinstance(action, ToolCall):
        return MCP_PREFIX + action.full_name
    return spec_of(action).may


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
    for key in ("to", "cc", "flags", "constraints"):
        if key in data and isinstance(data[key], list):
            data[key] = tuple(data[key])
    if "commits" in data:
        data["commits"] = tuple(c if isinstance(c, Commitment) else Commitment(**c) for c in data["commits"])
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
