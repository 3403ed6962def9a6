"""A model's answer read as one typed JSON object, or the reason it is not one.

The facts and check stages ask a model for JSON and never trust its shape: a fenced
block is unwrapped, anything else that is not exactly one object is refused with a reason
the audit can show (the stages fail closed on it)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from bot.agent.llm_client import LLMClient, LLMUnavailable, Usage

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)
MAX_ANSWER = 20_000  # characters read from an answer


def json_object(content: str) -> dict[str, Any] | str:
    """The object, or why there is none (a string)."""
    text = content.strip()[:MAX_ANSWER]
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced[1]
    try:
        value = json.loads(text)
    except ValueError:
        return f"not JSON: {content.strip()[:80]!r}"
    if not isinstance(value, dict):
        return f"JSON but not an object: {type(value).__name__}"
    return value


async def ask(client: LLMClient, messages: Sequence[dict[str, str]]) -> tuple[dict[str, Any] | str, Usage]:
    """One call, no tools: (the object or why not, what it cost)."""
    try:
        result = await client.chat(messages)
    except LLMUnavailable as exc:
        return f"no answer: {exc}", Usage()
    return json_object(result.content), result.usage
