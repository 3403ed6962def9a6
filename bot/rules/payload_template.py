"""A rule's ``webhook.payload``: the JSON a webhook carries, declared by the owner.

String values may hold placeholders in braces: ``${field.<path>}`` (a field of the
event's JSON body, ``bot.payload``), ``${event.<name>}`` (``id``, ``channel``, ``thread``,
``sender``, ``subject``, ``received_at``) and ``${rule}``. A string that is exactly one
placeholder keeps the field's JSON type (a number stays a number; a missing field is
null); inside longer text a missing field reads as "". ``$$`` is a literal ``$``.
Unknown placeholders are errors when the rule loads, never a literal in a request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.events import Event
from bot.payload import field, is_missing

EVENT_FIELDS = ("id", "channel", "thread", "sender", "subject", "received_at")
_PLACEHOLDER = re.compile(r"\$(?:\$|\{([^{}]*)\})")
_NAME = re.compile(r"rule|event\.(?:" + "|".join(EVENT_FIELDS) + r")|field(?:\.[^.\s{}$]+)+")


def problems(payload: Any, where: str = "webhook.payload") -> list[str]:
    """What is wrong with the placeholders of ``payload`` (empty: it is fine)."""
    found: list[str] = []
    for path, text in _strings(payload, where):
        for match in _PLACEHOLDER.finditer(text):
            name = match[1]
            if match[0] != "$$" and (name is None or not _NAME.fullmatch(name)):
                found.append(
                    f"{path}: unknown placeholder {match[0]!r} (known: ${{field.<path>}}, "
                    + ", ".join(f"${{event.{f}}}" for f in EVENT_FIELDS)
                    + ", ${rule})"
                )
        if "$" in _PLACEHOLDER.sub("", text):
            found.append(f"{path}: a lone '$' (write '$$' for a literal dollar sign)")
    return found


def _strings(node: Any, path: str) -> list[tuple[str, str]]:
    if isinstance(node, str):
        return [(path, node)]
    if isinstance(node, Mapping):
        return [pair for k, v in node.items() for pair in _strings(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [pair for i, v in enumerate(node) for pair in _strings(v, f"{path}.{i}")]
    return []


def render(payload: Any, event: Event, *, rule: str) -> Any:
    """``payload`` with every placeholder filled from ``event``."""
    if isinstance(payload, str):
        return _render_text(payload, event, rule)
    if isinstance(payload, Mapping):
        return {str(k): render(v, event, rule=rule) for k, v in payload.items()}
    if isinstance(payload, list):
        return [render(v, event, rule=rule) for v in payload]
    return payload


def _value(name: str, event: Event, rule: str) -> Any:
    if name == "rule":
        return rule
    if name.startswith("event."):
        attr = name.removeprefix("event.")
        value = getattr(event, attr)
        return value.isoformat() if attr == "received_at" else value
    found = field(event, name.removeprefix("field."))
    return None if is_missing(found) else found


def _render_text(text: str, event: Event, rule: str) -> Any:
    whole = _PLACEHOLDER.fullmatch(text)
    if whole is not None and whole[1] is not None:
        return _value(whole[1], event, rule)

    def one(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        value = _value(match[1], event, rule)
        return "" if value is None else str(value)

    return _PLACEHOLDER.sub(one, text)
