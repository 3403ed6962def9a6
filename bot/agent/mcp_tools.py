"""The model's tools for MCP server tools: only those the matched rule allows by name.

Each allowed ``mcp:<server>.<tool>`` that its server listed (bot/tool_catalog.py) is
offered under a function name the model APIs accept (``mcp__<server>__<tool>``), with
the server's own input schema, less ``idempotency_key`` (Deputy fills that in from the
outbox key). A call is parsed into a ``ToolCall``; the gate then checks it against the
rule's constraints. A call to a listed tool the rule does not allow is still parsed, so
the gate refuses it and the escalation names the rule.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from bot.actions import MCP_PREFIX, ToolCall
from bot.rules.model import Rule
from bot.tool_catalog import CATALOG, ToolCatalog, ToolInfo

PREFIX = "mcp__"
MAX_ARGUMENT_CHARS = 20_000


def function_name(info: ToolInfo) -> str:
    tool = re.sub(r"[^A-Za-z0-9_-]", "_", info.name)
    return f"{PREFIX}{info.server}__{tool}"[:64]


def allowed(rule: Rule | None, catalog: ToolCatalog = CATALOG) -> list[ToolInfo]:
    if rule is None:
        return []
    names = sorted(n.removeprefix(MCP_PREFIX) for n in rule.may if n.startswith(MCP_PREFIX))
    return [info for info in (catalog.get(n) for n in names) if info is not None]


def schemas(rule: Rule | None, catalog: ToolCatalog = CATALOG) -> list[dict[str, Any]]:
    out = []
    for info in allowed(rule, catalog):
        params = copy.deepcopy(info.input_schema) or {"type": "object", "properties": {}}
        props = params.get("properties")
        if isinstance(props, dict):
            props.pop("idempotency_key", None)
        if isinstance(params.get("required"), list):
            params["required"] = [r for r in params["required"] if r != "idempotency_key"]
        description = f"{info.description} (tool {info.full_name}; the policy gate checks the arguments)"
        out.append(
            {
                "type": "function",
                "function": {"name": function_name(info), "description": description, "parameters": params},
            }
        )
    return out


def lookup(name: str, catalog: ToolCatalog = CATALOG) -> ToolInfo | None:
    if not name.startswith(PREFIX):
        return None
    return next((info for info in catalog.all() if function_name(info) == name), None)


def parse(name: str, arguments: str, catalog: ToolCatalog = CATALOG) -> ToolCall | str:
    """A ``ToolCall``, or the error to report back to the model."""
    info = lookup(name, catalog)
    if info is None:
        return f"unknown tool {name[:60]!r}"
    if len(arguments or "") > MAX_ARGUMENT_CHARS:
        return f"arguments of {name} are too large"
    try:
        raw = json.loads(arguments or "{}")
    except (json.JSONDecodeError, RecursionError):
        return f"arguments of {name} are not valid JSON"
    if not isinstance(raw, dict):
        return f"arguments of {name} must be a JSON object"
    raw.pop("idempotency_key", None)  # Deputy's to give, never the model's
    return ToolCall(server=info.server, tool=info.name, arguments=raw)
