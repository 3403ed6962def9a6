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

from pydantic import Field, ValidationError

from bot.action_args import Args, args_schema
from bot.actions import (
    ACTIONS,
    BY_TOOL,
    Action,
    Escalate,
    File,
    FollowUp,
    Forward,
    HandOff,
    Ignore,
    Offer,
    Remember,
    Reply,
    Webhook,
    commitments_of,
)
from bot.agent import mcp_tools
from bot.agent.llm_client import ToolCall
from bot.rules.model import Rule, parse_duration_hours

# Tools a rule's ``may`` list can offer, in the table's order.
ACTION_TOOLS: tuple[str, ...] = tuple(s.tool for s in ACTIONS if s.listed and s.tool)
ASK_OWNER: str = next(s.tool for s in ACTIONS if s.cls is Escalate and s.tool)
CONSULT_TOOLS = ("get_thread_history", "get_contact_memory")
TERMINAL = frozenset(s.tool for s in ACTIONS if s.terminal and s.tool)


class HistoryArgs(Args):
    limit: int = Field(default=20, ge=1, le=200)


class NoArgs(Args):
    pass


# Read-only tools: not actions, so not in the action table.
_CONSULT: dict[str, tuple[type[Args], str]] = {
    "get_thread_history": (HistoryArgs, "Read earlier messages of this thread (read-only)."),
    "get_contact_memory": (NoArgs, "Read what Deputy remembers about this correspondent (read-only)."),
}

ARG_MODELS: dict[str, type[Args]] = {
    **{tool: spec.args for tool, spec in BY_TOOL.items() if spec.args is not None},
    **{name: model for name, (model, _) in _CONSULT.items()},
}


def _descriptions(rule: Rule | None) -> dict[str, tuple[str, dict[str, Any]]]:
    h = rule.header if rule else None
    folder = h.file.folder if h and h.file else "(none)"
    fwd = ", ".join(h.forward.to) if h and h.forward else "(none)"
    targets = ", ".join(h.hand_off.to) if h and h.hand_off else "(none)"
    described = {
        tool: (spec.description.format(folder=folder, forward_to=fwd, hand_off_to=targets), spec.schema())
        for tool, spec in BY_TOOL.items()
    }
    for name, (model, text) in _CONSULT.items():
        described[name] = (text, args_schema(model))
    return described


def offered_tools(rule: Rule | None) -> tuple[str, ...]:
    """Names offered for this rule, in a fixed order (stable for prompt caching)."""
    if rule is None:
        return (ASK_OWNER,)
    allowed = tuple(n for n in ACTION_TOOLS if n in rule.may)
    tools = tuple(mcp_tools.function_name(t) for t in mcp_tools.allowed(rule))
    return (*allowed, *tools, ASK_OWNER, *CONSULT_TOOLS)


def tool_schemas(rule: Rule | None) -> list[dict[str, Any]]:
    described = _descriptions(rule)
    mcp = {s["function"]["name"]: s for s in mcp_tools.schemas(rule)}
    return [
        mcp.get(name)
        or {
            "type": "function",
            "function": {"name": name, "description": described[name][0], "parameters": described[name][1]},
        }
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
    if call.name.startswith(mcp_tools.PREFIX):
        parsed = mcp_tools.parse(call.name, call.arguments)
        if isinstance(parsed, str):
            return ParsedCall(call=call, error=parsed)
        return ParsedCall(call=call, action=parsed)
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
            f"{'.'.join(str(p) for p in e['loc']) or '(object)'}: {e['msg']}" for e in exc.errors()[:5]
        )
        return ParsedCall(call=call, error=f"invalid arguments for {call.name}: {problems}")
    if call.name in CONSULT_TOOLS:
        return ParsedCall(call=call, consult=args)
    try:
        return ParsedCall(call=call, action=_MAPPERS[BY_TOOL[call.name].cls](args, rule))
    except ValueError as exc:
        return ParsedCall(call=call, error=f"invalid arguments for {call.name}: {exc}")


def _reply(a: Any, rule: Rule | None) -> Action:
    auto = rule.header.reply.auto_submitted if rule and rule.header.reply else True
    return Reply(
        text=a.text, to=tuple(a.to), cc=tuple(a.cc), auto_submitted=auto, commits=commitments_of(a.commits)
    )


def _offer(a: Any, rule: Rule | None) -> Action:
    return Offer(
        text=a.text,
        amount=float(a.amount),
        currency=a.currency.upper(),
        final=a.final,
        commits=commitments_of(a.commits),
    )


def _forward(a: Any, rule: Rule | None) -> Action:
    return Forward(to=tuple(a.to), note=a.note, commits=commitments_of(a.commits))


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
    hours = a.after_hours if a.after_hours is not None else parse_duration_hours(spec.after if spec else "3d")
    return FollowUp(after_hours=float(hours), note=a.note)


def _remember(a: Any, rule: Rule | None) -> Action:
    return Remember(subject=a.subject, fact=a.fact)


def _webhook(a: Any, rule: Rule | None) -> Action:
    spec = rule.header.webhook if rule else None
    url = a.url if a.url is not None else (spec.url if spec else "")
    return Webhook(url=url, payload=dict(a.payload))


def _hand_off(a: Any, rule: Rule | None) -> Action:
    return HandOff(
        to=a.to.strip().lower(),
        objective=a.objective,
        constraints=tuple(a.constraints),
        expected=a.expected,
        deadline_hours=a.deadline_hours,
    )


def _ask_owner(a: Any, rule: Rule | None) -> Action:
    if a.proposed_reply:
        return Escalate(
            question=f"{a.question}\n\nProposed reply:\n{a.proposed_reply}",
            reason=a.reason or "the model asked",
            options=("Send the proposed reply", "Do nothing"),
            option_actions=((Reply(text=a.proposed_reply),), (Ignore(reason="owner declined"),)),
            default_option=1,
        )
    return Escalate(question=a.question, reason=a.reason or "the model asked", options=tuple(a.options))


# How each action tool's arguments become its Action (keyed by the table's classes).
_MAPPERS: dict[type, Callable[[Any, Rule | None], Action]] = {
    Reply: _reply,
    Offer: _offer,
    Forward: _forward,
    File: _file,
    Ignore: _ignore,
    FollowUp: _follow_up,
    Remember: _remember,
    Webhook: _webhook,
    Escalate: _ask_owner,
    HandOff: _hand_off,
}
assert set(_MAPPERS) == {spec.cls for spec in BY_TOOL.values()}, "a tool has no mapper"
