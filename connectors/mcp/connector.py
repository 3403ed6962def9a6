"""Carries out outbox rows of op "call" on one MCP server, and turns answers into events.

Exactly once, as far as the server lets us know: the row's idempotency key goes with
every call (as the tool's ``idempotency_key`` argument when its schema has one, and in
``_meta`` always). A call whose outcome was never recorded (a crash, a timeout after the
request left) is *in doubt*: it is sent again only to a tool that takes the key (the
server dedupes); for any other tool the owner is told and nothing is repeated.

The answer becomes a ``tool_result`` event in the inbox (rules with ``when.tool`` match
it), in the conversation the call was made for; its id derives from the key, so a call
answered twice yields one event.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mcp import MCPError
from mcp.types import CallToolResult, TextContent

from bot.channels.contract import Emit
from bot.delivery import Delivery
from bot.errors import InDoubt, PermanentError, TransientError
from bot.events import Event
from connectors.mcp.client import ToolServer

log = logging.getLogger("deputy.mcp")

MAX_RESULT_CHARS = 20_000


class McpConnector:
    def __init__(self, *, name: str, server: ToolServer) -> None:
        self.name = name  # "mcp:<server>": the outbox rows' connector
        self.server = server
        self._emit: Emit | None = None

    async def start(self, emit: Emit) -> None:
        self._emit = emit

    async def stop(self) -> None:
        await self.server.stop()

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        if delivery.op != "call":
            raise PermanentError(f"{self.name}: cannot {delivery.op!r}")
        tool = str(delivery.payload["tool"])
        arguments = dict(delivery.payload.get("arguments") or {})
        await self.server.connected()  # whether the tool takes a key is in its listing
        info = self.server.catalog.get(f"{self.server.name}.{tool}")
        deduped = info is not None and info.takes_key
        if delivery.in_doubt and not deduped:
            raise InDoubt(
                f"the call {self.server.name}.{tool} may have reached the server before a crash; "
                "this tool takes no idempotency key, so I did not call it again"
            )
        try:
            result = await self.server.call(tool, arguments, key=delivery.key)
        except TransientError:
            raise  # no session: nothing was sent
        except MCPError as exc:
            # A JSON-RPC error from the server: the call was refused (bad params, no such tool).
            raise PermanentError(f"{self.server.name}.{tool}: {exc.error.message}") from exc
        except (TimeoutError, Exception) as exc:
            what = "no answer in time" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
            if deduped:
                raise TransientError(f"{self.server.name}.{tool}: {what}") from exc
            raise InDoubt(f"{self.server.name}.{tool}: {what}; the call may have happened") from exc
        text = _text_of(result)
        await self._result_event(delivery, tool, text, is_error=bool(result.is_error))
        if result.is_error:
            raise PermanentError(f"{self.server.name}.{tool} answered with an error: {text[:500]}")
        return {"tool": f"{self.server.name}.{tool}", "result": text[:500]}

    async def _result_event(self, delivery: Delivery, tool: str, text: str, *, is_error: bool) -> None:
        if self._emit is None:
            return
        origin: dict[str, Any] = dict(delivery.payload.get("origin") or {})
        refs = {str(k): str(v) for k, v in dict(origin.get("refs") or {}).items()}
        refs.update(
            {
                "tool": f"{self.server.name}.{tool}",
                "is_error": "1" if is_error else "0",
                "call_key": delivery.key,
                "event_id": str(delivery.payload.get("event_id", "")),
            }
        )
        digest = hashlib.sha256(delivery.key.encode()).hexdigest()[:32]
        await self._emit(
            Event(
                id=f"mcp:{digest}",
                channel=str(origin.get("channel") or self.name),
                kind="tool_result",
                thread=str(origin.get("thread") or self.name),
                sender=str(origin.get("sender") or ""),
                received_at=datetime.now(UTC),
                subject=f"{self.server.name}.{tool}" + (" failed" if is_error else " result"),
                text=text,
                refs=refs,
            )
        )


def _text_of(result: CallToolResult) -> str:
    parts = [c.text for c in result.content if isinstance(c, TextContent)]
    if not parts and result.structured_content is not None:
        parts = [str(result.structured_content)]
    return "\n".join(parts)[:MAX_RESULT_CHARS]
