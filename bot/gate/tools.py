"""The gate's check of an MCP tool call against the rule's ``[tools."<server>.<tool>"]``.

The arguments are what the call commits to (an invoice of 480 EUR to a customer), so
each constrained argument is checked as a typed value: a number must be a JSON number
(a string "480" or a bool is not one), within the bounds and in the rule's currency;
a value must be one of the allowed ones; text must match the rule's pattern. A model
that was talked into 5,000 EUR by an email gets a refusal here, whatever it says.
"""

from __future__ import annotations

import math
from typing import Any

from bot.actions import ToolCall
from bot.rules.model import Rule
from bot.rules.pattern import owner_pattern
from bot.rules.tools import ArgumentRule

MAX_ARGUMENT_BYTES = 20_000


def tool_call_problem(action: ToolCall, rule: Rule) -> str | None:
    """Why the rule does not allow this call with these arguments (None: it does)."""
    if len(repr(action.arguments)) > MAX_ARGUMENT_BYTES:
        return f"the arguments of {action.full_name} are too large"
    spec = rule.header.tools.get(action.full_name)
    if spec is None:
        return None  # allowed by name, with no constraints written
    for name, constraint in spec.arguments().items():
        problem = _argument_problem(action, name, constraint, source=str(rule.path))
        if problem is not None:
            return f"{action.full_name}: {problem} (rule {rule.name}, tools.{action.full_name}.{name})"
    return None


def _argument_problem(action: ToolCall, name: str, c: ArgumentRule, *, source: str) -> str | None:
    if name not in action.arguments:
        return f"argument {name!r} is missing" if c.required else None
    value: Any = action.arguments[name]
    if c.min is not None or c.max is not None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return f"argument {name!r} must be a number, got {value!r}"
        if c.max is not None and value > c.max:
            return f"{name} {value:g} exceeds the limit of {c.max:g}{_unit(c)}"
        if c.min is not None and value < c.min:
            return f"{name} {value:g} is below the minimum of {c.min:g}{_unit(c)}"
        if c.currency is not None:
            currency = action.arguments.get("currency")
            if not isinstance(currency, str) or currency.strip().upper() != c.currency.upper():
                return f"{name} is limited in {c.currency}, the call says currency {currency!r}"
    if c.values is not None and not any(_same(value, allowed) for allowed in c.values):
        return f"argument {name!r} = {value!r} is not one of {c.values!r}"
    if c.pattern is not None or c.max_length is not None:
        if not isinstance(value, str):
            return f"argument {name!r} must be text, got {value!r}"
        if c.max_length is not None and len(value) > c.max_length:
            return f"argument {name!r} is longer than {c.max_length} characters"
        # fullmatch semantics are the owner's to write (^...$); searched like when.subject.
        if c.pattern is not None and not owner_pattern(c.pattern).search(value, source=source):
            return f"argument {name!r} = {value!r} does not match {c.pattern!r}"
    return None


def _same(value: Any, allowed: Any) -> bool:
    # True == 1 in Python: a bool and a number are different values to the rule.
    if isinstance(value, bool) or isinstance(allowed, bool):
        return isinstance(value, bool) and isinstance(allowed, bool) and value is allowed
    return (type(value) is type(allowed) and value == allowed) or (
        isinstance(value, int | float) and isinstance(allowed, int | float) and value == allowed
    )


def _unit(c: ArgumentRule) -> str:
    return f" {c.currency}" if c.currency else ""
