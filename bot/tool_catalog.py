"""The tools the configured MCP servers offer, as their servers last listed them.

Written by the MCP connector when it connects (connectors/mcp), read by the agent to
offer a rule's allowed tools with the server's own input schema (bot/agent/mcp_tools.py).
A tool that is not listed (its server is down, or never had it) is not offered; the gate
does not depend on this catalog: it checks a call against the rule alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolInfo:
    server: str
    name: str
    description: str = ""
    input_schema: dict[str, Any] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.server}.{self.name}"

    @property
    def takes_key(self) -> bool:
        """The tool takes an ``idempotency_key`` argument: the server dedupes a call."""
        props = self.input_schema.get("properties")
        return isinstance(props, dict) and "idempotency_key" in props


class ToolCatalog:
    def __init__(self) -> None:
        self._tools: dict[str, ToolInfo] = {}

    def replace_server(self, server: str, tools: Iterable[ToolInfo]) -> None:
        kept = {k: v for k, v in self._tools.items() if v.server != server}
        kept.update({t.full_name: t for t in tools})
        self._tools = kept

    def get(self, full_name: str) -> ToolInfo | None:
        return self._tools.get(full_name)

    def all(self) -> list[ToolInfo]:
        return sorted(self._tools.values(), key=lambda t: t.full_name)


# One per process: the daemon's MCP connectors fill it, the agent reads it.
CATALOG = ToolCatalog()
