"""What the model may pass for each action tool: one pydantic model per tool.

The tool schemas the model sees are generated from these models (``args_schema``), so a
schema states exactly the bounds that validation enforces; a model's call that does not
fit is refused before any action is built from it (bot/agent/tools.py).
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CommitmentKind = Literal["amount", "accept", "pay", "date"]


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CommitmentArgs(Args):
    """One commitment of the text: every amount, acceptance, payment promise or date the
    text states must be listed here, or the reply is stopped and the owner asked."""

    kind: CommitmentKind
    amount: float | None = Field(default=None, ge=0)
    currency: str = Field(default="", max_length=4)
    on: str = Field(default="", max_length=10, description="ISO date (YYYY-MM-DD) for kind=date")


class ReplyArgs(Args):
    text: str = Field(min_length=1, max_length=20_000)
    to: list[str] = Field(default_factory=list, max_length=20)
    cc: list[str] = Field(default_factory=list, max_length=20)
    commits: list[CommitmentArgs] = Field(default_factory=list, max_length=10)


class OfferArgs(Args):
    text: str = Field(min_length=1, max_length=20_000)
    amount: float = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    final: bool = False
    commits: list[CommitmentArgs] = Field(default_factory=list, max_length=10)


class ForwardArgs(Args):
    to: list[str] = Field(min_length=1, max_length=20)
    note: str = Field(default="", max_length=5_000)
    commits: list[CommitmentArgs] = Field(default_factory=list, max_length=10)


class FileArgs(Args):
    folder: str | None = Field(default=None, max_length=200)
    flags: list[str] = Field(default_factory=list, max_length=10)  # accepted, not offered


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


class HandOffArgs(Args):
    to: str = Field(min_length=1, max_length=32)
    objective: str = Field(min_length=1, max_length=2_000)
    constraints: list[str] = Field(default_factory=list, max_length=10)
    expected: str = Field(default="", max_length=1_000)
    deadline_hours: float | None = Field(default=None, ge=0)


class AskOwnerArgs(Args):
    question: str = Field(min_length=1, max_length=4_000)
    reason: str = Field(default="", max_length=1_000)
    options: list[str] = Field(default_factory=list, max_length=6)
    proposed_reply: str | None = Field(default=None, max_length=20_000)


@functools.cache
def _json_schema(model: type[Args]) -> dict[str, Any]:
    """Generated once per model: pydantic's generation costs milliseconds, and the model
    prompt asks for the tools of every judged event (the callers get fresh dicts)."""
    return model.model_json_schema()


def args_schema(model: type[Args], hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The tool JSON schema generated from an argument model, minus ``hidden`` fields.

    Titles are dropped (noise for the model); every other keyword pydantic emits stays,
    so the schema states the same bounds the model enforces.
    """
    raw = _json_schema(model)
    props = {
        name: copy.deepcopy({k: v for k, v in prop.items() if k != "title"})
        for name, prop in raw.get("properties", {}).items()
        if name not in hidden
    }
    required = [n for n in raw.get("required", []) if n not in hidden]
    # Nested argument models (commitments) are inlined: tool schemas are read by model
    # providers that do not all resolve "$ref".
    defs = raw.get("$defs", {})
    props = {name: _inline(prop, defs) for name, prop in props.items()}
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def _inline(value: Any, defs: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in value.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(value, list):
        return [_inline(v, defs) for v in value]
    return value
