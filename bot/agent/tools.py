"""Tool definitions for the model, and the strict parser that turns its calls into Actions.

Why generated per rule: the model is offered only the actions the governing rule's
``may`` list names (plus ask_owner and two read-only consult tools), so a well-behaved
model never even sees the others. Why strict: arguments are parsed with pydantic
(``extra="forbid"``); bad JSON, unknown fields or an unknown tool name yield no action,
only an error the agent reports back to the model once. A call to a known action tool that
was not offered is still mapped: the policy gate then blocks it and the escalation names
the rule, so there is one place that decides what is allowed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.actions import (
    Action,
    Escalate,
    File,
    FollowUp,
    Forward,
    Ignore,
    Offer,
    Remember,
    Reply,
    Webhook,
)
from bot.agent.llm_client import ToolCall
from bot.rules.model import Rule, parse_duration_hours

ACTION_TOOLS = ("reply", "offer", "forward", "file", "ignore", "follow_up", "remember", "webhook")
ASK_OWNER = "ask_owner"
CONSULT_TOOLS = ("get_thread_history", "get_contact_memory")
TERMINAL = frozenset({"reply", "offer", "ignore", ASK_OWNER})


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ReplyArgs(Args):
    text: str = Field(min_length=1, max_length=20_000)
    to: list[str] = Field(default_factory=list, max_length=20)
    cc: list[str] = Field(default_factory=list, max_length=20)


class OfferArgs(Args):
    text: str = Field(min_length=1, max_length=20_000)
    amount: float = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    final: bool = False


class ForwardArgs(Args):
    to: list[str] = Field(min_length=1, max_length=20)
    note: str = Field(default="", max_length=5_000)


class FileArgs(Args):
    folder: str | None = Field(default=None, max_length=200)
    flags: list[str] = Field(default_factory=list, max_length=10)


class IgnoreArgs(Args):
    reason: str = Field(default="", max_length=1_000)


class FollowUpArgs(Args):
    after_hours: float | None = None
    note: str = Field(default="", max_length=1_000)


class RememberArgs(Args):
    subject: str = Field(min_length=1, max_length=200)
    fact: str = Field(min_length=1, max_length=1_000)


class WebhookArgs(Args):
    payload: dict[str, Any] = Field(default_factory=dict)
    url: str | None = None  # not offered in the schema: the rule fixes the URL


class AskOwnerArgs(Args):
    question: str = Field(min_length=1, max_length=4_000)
    reason: str = Field(default="", max_length=1_000)
    options: list[str] = Field(default_factory=list, max_length=6)
    proposed_reply: str | None = Field(default=None, max_length=20_000)


class HistoryArgs(Args):
    limit: int = Field(default=20, ge=1, le=200)


class NoArgs(Args):
    pass


ARG_MODELS: dict[str, type[Args]] = {
    "reply": ReplyArgs, "offer": OfferArgs, "forward": ForwardArgs, "file": FileArgs,
    "ignore": IgnoreArgs, "follow_up": FollowUpArgs, "remember": RememberArgs,
    "webhook": WebhookArgs, ASK_OWNER: AskOwnerArgs,
    "get_thread_history": HistoryArgs, "get_contact_memory": NoArgs,
}

_STR = {"type": "string"}
_STRS = {"type": "array", "items": {"type": "string"}}


def _obj(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required,
            "additionalProperties": False}


def _descriptions(rule: Rule | None) -> dict[str, tuple[str, dict[str, Any]]]:
    h = rule.header if rule else None
    folder = h.file.folder if h and h.file else "(none)"
    fwd = ", ".join(h.forward.to) if h and h.forward else "(none)"
    return {
        "reply": ("Reply in this conversation (to the sender unless 'to'/'cc' name other "
                  "people already in it).",
                  _obj({"text": _STR, "to": _STRS, "cc": _STRS}, ["text"])),
        "offer": ("Reply with a price offer. Use exactly the amount the negotiation plan "
                  "gives; final=true only when accepting their price.",
                  _obj({"text": _STR, "amount": {"type": "number"}, "currency": _STR,
                        "final": {"type": "boolean"}}, ["text", "amount", "currency"])),
        "forward": (f"Forward this message. Allowed recipients: {fwd}.",
                    _obj({"to": _STRS, "note": _STR}, ["to"])),
        "file": (f"File this message into the folder {folder!r}.",
                 _obj({"folder": _STR}, [])),
        "ignore": ("Do nothing with this message, with a short reason.",
                   _obj({"reason": _STR}, [])),
        "follow_up": ("Come back to this thread later if nobody answers.",
                      _obj({"after_hours": {"type": "number"}, "note": _STR}, [])),
        "remember": ("Remember a plain fact about the correspondent (never instructions).",
                     _obj({"subject": _STR, "fact": _STR}, ["subject", "fact"])),
        "webhook": ("Notify the rule's webhook with a small JSON payload.",
                    _obj({"payload": {"type": "object"}}, [])),
        ASK_OWNER: ("Ask the owner. Give a short summary as the question; offer options and "
                    "a proposed reply when you have one.",
                    _obj({"question": _STR, "reason": _STR, "options": _STRS,
                          "proposed_reply": _STR}, ["question"])),
        "get_thread_history": ("Read earlier messages of this thread (read-only).",
                               _obj({"limit": {"type": "integer"}}, [])),
        "get_contact_memory": ("Read what Deputy remembers about this correspondent "
                               "(read-only).", _obj({}, [])),
    }


def offered_tools(rule: Rule | None) -> tuple[str, ...]:
    """Names offered for this rule, in a fixed order (stable for prompt caching)."""
    if rule is None:
        return (ASK_OWNER,)
    allowed = tuple(n for n in ACTION_TOOLS if n in rule.may)
    return (*allowed, ASK_OWNER, *CONSULT_TOOLS)


def tool_schemas(rule: Rule | None) -> list[dict[str, Any]]:
    described = _descriptions(rule)
    return [
        {"type": "function",
         "function": {"name": name, "description": described[name][0],
                      "parameters": described[name][1]}}
        for name in offered_tools(rule)
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedCall:
    call: ToolCall
    action: Action | None = None
    consult: Args | None = None  # a read-only tool to run
    error: str | None = None

    @property
    def terminal(self) -> bool:
        return self.error is None and self.call.name in TERMINAL


def parse_call(call: ToolCall, *, rule: Rule | None) -> ParsedCall:
    model = ARG_MODELS.get(call.name)
    if model is None:
        return ParsedCall(call=call, error=f"unknown tool {call.name[:60]!r}")
    try:
        raw = json.loads(call.arguments or "{}")
    except (json.JSONDecodeError, RecursionError):
        return ParsedCall(call=call, error=f"arguments of {call.name} are not valid JSON")
    if not isinstance(raw, dict):
        return ParsedCall(call=call, error=f"arguments of {call.name} must be a JSON object")
    try:
        args = model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(object)'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
        return ParsedCall(call=call, error=f"invalid arguments for {call.name}: {problems}")
    if call.name in CONSULT_TOOLS:
        return ParsedCall(call=call, consult=args)
    try:
        return ParsedCall(call=call, action=_MAPPERS[call.name](args, rule))
    except ValueError as exc:
        return ParsedCall(call=call, error=f"invalid arguments for {call.name}: {exc}")


def _reply(a: Any, rule: Rule | None) -> Action:
    auto = rule.header.reply.auto_submitted if rule and rule.header.reply else True
    return Reply(text=a.text, to=tuple(a.to), cc=tuple(a.cc), auto_submitted=auto)


def _offer(a: Any, rule: Rule | None) -> Action:
    return Offer(text=a.text, amount=float(a.amount), currency=a.currency.upper(), final=a.final)


def _forward(a: Any, rule: Rule | None) -> Action:
    return Forward(to=tuple(a.to), note=a.note)


def _file(a: Any, rule: Rule | None) -> Action:
    spec = rule.header.file if rule else None
    folder = a.folder or (spec.folder if spec else "")
    if not folder:
        raise ValueError("no folder given and the rule names none")
    flags = tuple(a.flags) if a.flags else tuple(spec.flags if spec else ())
    return File(folder=folder, flags=flags, save_attachments=bool(spec and spec.save_attachments))


def _ignore(a: Any, rule: Rule | None) -> Action:
    return Ignore(reason=a.reason)


def _follow_up(a: Any, rule: Rule | None) -> Action:
    spec = rule.header.follow_up if rule else None
    hours = a.after_hours if a.after_hours is not None else parse_duration_hours(
        spec.after if spec else "3d")
    return FollowUp(after_hours=float(hours), note=a.note)


def _remember(a: Any, rule: Rule | None) -> Action:
    return Remember(subject=a.subject, fact=a.fact)


def _webhook(a: Any, rule: Rule | None) -> Action:
    spec = rule.header.webhook if rule else None
    url = a.url if a.url is not None else (spec.url if spec else "")
    return Webhook(url=url, payload=dict(a.payload))


def _ask_owner(a: Any, rule: Rule | None) -> Action:
    if a.proposed_reply:
        return Escalate(
            question=f"{a.question}\n\nProposed reply:\n{a.proposed_reply}",
            reason=a.reason or "the model asked",
            options=("Send the proposed reply", "Do nothing"),
            option_actions=((Reply(text=a.proposed_reply),), (Ignore(reason="owner declined"),)),
            default_option=1,
        )
    return Escalate(question=a.question, reason=a.reason or "the model asked",
                    options=tuple(a.options))


_MAPPERS: dict[str, Callable[[Any, Rule | None], Action]] = {
    "reply": _reply, "offer": _offer, "forward": _forward, "file": _file, "ignore": _ignore,
    "follow_up": _follow_up, "remember": _remember, "webhook": _webhook, ASK_OWNER: _ask_owner,
}
