"""The typed shape of a rule's TOML header.

What must be checked by code lives here (conditions, allowed actions, limits, mandate);
what needs judgment lives in the Markdown body as the owner wrote it. Unknown keys are
errors (``extra="forbid"``) so that a typo never turns a limit off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.actions import ActionName  # the ``may`` names, kept in step with bot.actions.ACTIONS
from bot.owner import OwnerProfile
from bot.rules.payload_template import problems as payload_problems
from bot.rules.template import problems
from bot.rules.tools import ToolRule, check_call, may_name

# An action's name, or "mcp:<server>.<tool>" (bot/rules/tools.py).
MayName = Annotated[str, AfterValidator(lambda v: may_name(v, frozenset(get_args(ActionName))))]


class Strict(BaseModel):
    # allow_inf_nan=False: a mandate or limit of ``nan`` compares false with everything,
    # so every check that uses it would pass.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


_ADDR = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+")


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
    return value


class AmountCondition(Strict):
    """On the amount a message asks for (``bot.facts``: the amount due, else the total):
    within ``min``..``max`` in ``currency``. Another currency, or no readable amount,
    does not match."""

    min: float | None = Field(default=None, ge=0)
    max: float | None = Field(default=None, ge=0)
    currency: str = Field(min_length=3, max_length=4)


class When(Strict):
    """All given conditions must hold; inside a list, any item may match. ``any`` holds
    when one of its groups holds, ``none`` when none of its groups does."""

    channel: list[str] = Field(default_factory=list)
    from_: list[str] = Field(default_factory=list, alias="from")  # address globs
    to: list[str] = Field(default_factory=list)  # recipient globs
    subject: str | None = None  # regex, searched
    body: str | None = None  # regex, searched
    keywords: list[str] = Field(default_factory=list)  # any, whole words, case-insensitive
    has_attachment: bool | None = None
    # Header name (any case) -> regex searched in its value; "" = the header is present.
    header: dict[str, str] = Field(default_factory=dict)
    # Conditions on the facts of the message (bot.facts).
    amount: AmountCondition | None = None
    payment_changed: bool | None = None  # details differ from those on file, or the text says so
    first_contact: bool | None = None  # the sender never wrote before
    in_our_thread: bool | None = None  # answers a thread Deputy wrote in
    auto_reply: bool | None = None  # out-of-office, auto-reply or bounce
    # The result of these MCP tools ("<server>.<tool>", globs): a rule with ``tool``
    # matches only tool results, and a tool result matches only such a rule, so a rule
    # that calls a tool is never set off again by the tool's own answer.
    tool: list[str] = Field(default_factory=list)
    # Dotted path in a JSON event's body (an inbound webhook) -> the value it must equal.
    field: dict[str, str | int | float | bool] = Field(default_factory=dict)
    invite: bool | None = None  # carries a calendar invitation (iTIP REQUEST, RFC 5546)
    any: list[When] = Field(default_factory=list)
    none: list[When] = Field(default_factory=list)

    _subject = field_validator("subject")(_check_regex)
    _body = field_validator("body")(_check_regex)

    @field_validator("header")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for pattern in value.values():
            _check_regex(pattern)
        return {k.lower(): v for k, v in value.items()}


class Money(Strict):
    max: float = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)


class Limits(Strict):
    amount: Money | None = None  # no amount above this in anything Deputy sends
    replies_per_thread: int | None = Field(default=None, ge=0)
    allow_links: bool = False  # links not already in the thread or the template are blocked


class Mandate(Strict):
    """A negotiation mandate. ``side="sell"``: we want a high price (walk_away is the
    least we accept). ``side="buy"``: we want a low price (walk_away is the most we pay)."""

    side: Literal["sell", "buy"] = "sell"
    target: float
    walk_away: float
    currency: str = Field(min_length=3, max_length=3)
    max_rounds: int = Field(default=4, ge=1)
    concessions: list[str] = Field(default_factory=list)  # what may be conceded besides price
    # Negotiate without a model: the plan's numbers (bot/agent/negotiation.py) in plain
    # words, instead of asking the owner or a model for the words.
    rules_only: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Mandate:
        if self.side == "sell" and self.walk_away > self.target:
            raise ValueError("selling: walk_away must not be above target")
        if self.side == "buy" and self.walk_away < self.target:
            raise ValueError("buying: walk_away must not be below target")
        return self

    def acceptable(self, amount: float) -> bool:
        return amount >= self.walk_away if self.side == "sell" else amount <= self.walk_away


def _check_template(value: str | None) -> str | None:
    """A template is sent unread: an unknown or malformed placeholder is an error here,
    not a literal "$firstname" in a client's inbox (bot.rules.template)."""
    found = problems(value) if value else []
    if found:
        raise ValueError("; ".join(p.message for p in found))
    return value


class ReplySpec(Strict):
    # string.Template; the placeholders are bot.rules.template.PLACEHOLDERS.
    template: str | None = None
    auto_submitted: bool = True  # RFC 3834 Auto-Submitted: auto-replied (opt-out per rule)

    _template = field_validator("template")(_check_template)


class FileSpec(Strict):
    folder: str = Field(min_length=1)
    flags: list[str] = Field(default_factory=list)
    save_attachments: bool = False


class ForwardSpec(Strict):
    to: list[str] = Field(min_length=1)  # the only addresses a forward may reach
    note: str = ""

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            # A CR or LF in an address is a header injection (RFC 5322 2.2: header fields
            # end at CRLF); a forward target is one plain addr-spec.
            if not _ADDR.fullmatch(address):
                raise ValueError(f"{address!r} is not a plain email address")
        return value


class FollowUpSpec(Strict):
    after: str = "3d"  # "12h", "3d", "1w"
    max: int = Field(default=1, ge=0)  # nudges before the owner is told the thread went cold
    # The nudge (string.Template, like reply.template); "" = a short polite default.
    template: str = ""

    _template = field_validator("template")(_check_template)

    @field_validator("after")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration_hours(value)
        return value


class WebhookSpec(Strict):
    url: str
    # The JSON the webhook carries (bot.rules.payload_template); None: a default summary.
    payload: dict[str, Any] | None = None

    @field_validator("payload")
    @classmethod
    def _placeholders(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        found = payload_problems(value) if value is not None else []
        if found:
            raise ValueError("; ".join(found))
        return value


class CalendarSpec(Strict):
    """The calendar a rule uses (a ``caldav`` channel) and what it may do there alone."""

    channel: str = "calendar"
    invites: Literal["accept", "decline", "ask"] = "ask"  # an invitation in the message
    book: bool = False  # book the slot a correspondent takes from those Deputy offered
    summary: str = "Meeting with $sender_name"  # the booked event's title (a template)

    _template = field_validator("summary")(_check_template)


class HandOffSpec(Strict):
    """Which departments this rule may hand work to (bot/departments), and, for a rule
    that hands off without judgment, the contract it sends."""

    to: list[str] = Field(min_length=1)
    objective: str = ""  # "" = the message's subject
    constraints: list[str] = Field(default_factory=list)
    expected: str = ""
    deadline: str | None = None  # "4h", "2d"

    @field_validator("deadline")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration_hours(value)
        return value


def parse_duration_hours(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", text)
    if not match:
        raise ValueError(f"expected a duration like '30m', '12h', '3d', '1w', got {text!r}")
    value, unit = float(match[1]), match[2]
    return value * {"m": 1 / 60, "h": 1, "d": 24, "w": 168}[unit]


class RuleHeader(Strict):
    name: str | None = None
    description: str = ""
    priority: int = 0  # higher first; ties by file name
    enabled: bool = True
    when: When = Field(default_factory=When)
    # "Do this, but ask me when ...": when one of these holds, the rule's actions are put
    # to the owner as a question instead of being carried out.
    ask_when: list[When] = Field(default_factory=list)
    may: list[MayName] = Field(default_factory=list)  # anything else: ask the owner
    reply: ReplySpec | None = None
    file: FileSpec | None = None
    forward: ForwardSpec | None = None
    follow_up: FollowUpSpec | None = None
    webhook: WebhookSpec | None = None
    # [tools."<server>.<tool>"]: constraints on an MCP tool's arguments (bot/rules/tools.py).
    tools: dict[str, ToolRule] = Field(default_factory=dict)
    # [call."<server>.<tool>"]: call it without a model, with these (templated) arguments.
    call: dict[str, dict[str, Any]] = Field(default_factory=dict)
    hand_off: HandOffSpec | None = None
    calendar: CalendarSpec | None = None
    limits: Limits = Field(default_factory=Limits)
    mandate: Mandate | None = None
    expires: str | None = None  # ISO date after which the rule no longer applies
    # shadow: decide and record only; draft: prepare and ask; auto: act. None: the
    # config's [autonomy] default.
    autonomy: Literal["shadow", "draft", "auto"] | None = None

    @field_validator("expires")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"expected a date like 2027-03-31, got {value!r}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RuleHeader:
        specs = (
            ("file", self.file),
            ("forward", self.forward),
            ("webhook", self.webhook),
            ("hand_off", self.hand_off),
            ("calendar", self.calendar),
        )
        for name, spec in specs:
            if spec is not None and name not in self.may:
                raise ValueError(f"'{name}' is configured but not in 'may'")
        for kind, table in (("tools", self.tools), ("call", self.call)):
            for tool in table:
                if f"mcp:{tool}" not in self.may:
                    raise ValueError(f"{kind}.{tool!r} is configured but 'mcp:{tool}' is not in 'may'")
        for arguments in self.call.values():
            check_call(arguments)
        if self.mandate is not None and "offer" not in self.may:
            raise ValueError("a mandate needs 'offer' in 'may'")
        return self


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    name: str
    path: Path
    header: RuleHeader
    instructions: str  # the Markdown body, in the owner's words
    learned: bool = False

    @property
    def may(self) -> frozenset[str]:
        return frozenset(self.header.may)

    @property
    def mandate(self) -> Mandate | None:
        return self.header.mandate


@dataclass(frozen=True, slots=True, kw_only=True)
class Rulebook:
    owner: OwnerProfile
    rules: tuple[Rule, ...]  # in evaluation order
    sources: tuple[Path, ...] = field(default_factory=tuple)

    def by_name(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)
