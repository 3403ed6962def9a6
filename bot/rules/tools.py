"""What a rule says about an MCP tool's arguments: ``[tools."<server>.<tool>"]``.

A tool call commits to whatever its arguments say (an invoice amount, a payment), so the
arguments that matter are written in the rule as typed constraints and checked by code
(bot/gate/tools.py), never by the model:

```toml
may = ["reply", "mcp:accounting.create_invoice"]
[tools."accounting.create_invoice"]
amount = { max = 500, currency = "EUR" }   # a number <= 500, and currency == "EUR"
status = { values = ["draft", "sent"] }    # one of these
customer = { pattern = "^[A-Z][a-z]+ (Ltd|GmbH)$" }  # searched (bot/rules/pattern.py)
```

A constrained argument must be present (``required = false`` lets it be absent).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.rules.template import problems

# "mcp:<server>.<tool>": server names are config table names; tool names follow MCP's
# recommendation (letters, digits, "_", "-", ".").
_SERVER = r"[A-Za-z0-9_-]{1,64}"
_TOOL = r"[A-Za-z0-9_.-]{1,128}"
TOOL_NAME = re.compile(rf"^(?P<server>{_SERVER})\.(?P<tool>{_TOOL})$")
_MAY_TOOL = re.compile(rf"^mcp:{_SERVER}\.{_TOOL}$")


def may_name(value: str, actions: frozenset[str]) -> str:
    """One ``may`` entry: an action's name or ``mcp:<server>.<tool>``."""
    if value in actions or _MAY_TOOL.match(value):
        return value
    raise ValueError(
        f"unknown action {value!r}: expected one of {', '.join(sorted(actions))} or 'mcp:<server>.<tool>'"
    )


class ArgumentRule(BaseModel):
    """Constraints on one argument. Every given constraint must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    min: float | None = None
    max: float | None = None
    # With min/max: the sibling argument ``currency`` must name this currency, so a
    # limit in EUR cannot be passed with an amount in another currency.
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    values: list[str | int | float | bool] | None = Field(default=None, min_length=1)
    pattern: str | None = None
    max_length: int | None = Field(default=None, ge=0)
    required: bool = True

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        # Checked with Python's syntax, as when.subject is (bot/rules/model.py); the gate
        # searches it with the owner-pattern engines (bot/rules/pattern.py).
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> ArgumentRule:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not be above max")
        if self.currency is not None and self.min is None and self.max is None:
            raise ValueError("currency goes with min or max")
        return self


class ToolRule(BaseModel):
    """Argument name -> its constraints. Arguments not named are passed as proposed."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _arguments(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("expected a table of argument constraints")
        return {name: ArgumentRule.model_validate(value) for name, value in data.items()}

    def arguments(self) -> dict[str, ArgumentRule]:
        extra = self.__pydantic_extra__ or {}
        return {k: v for k, v in extra.items() if isinstance(v, ArgumentRule)}


def check_call(arguments: dict[str, Any]) -> dict[str, Any]:
    """``[call."<server>.<tool>"]``: the arguments a rule passes without a model. Text is
    a template (the reply placeholders: ``$sender``, ``$subject``...); a number or a
    boolean is passed as written."""
    for name, value in arguments.items():
        if isinstance(value, str):
            found = problems(value)
            if found:
                raise ValueError(f"{name}: " + "; ".join(p.message for p in found))
        elif not isinstance(value, int | float | bool):
            raise ValueError(f"{name}: expected text, a number or true/false")
    return arguments


def split_name(full: str) -> tuple[str, str] | None:
    """``"accounting.create_invoice"`` -> ("accounting", "create_invoice")."""
    match = TOOL_NAME.match(full)
    return (match["server"], match["tool"]) if match else None
