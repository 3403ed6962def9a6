"""The MCP connector against a real tool server over streamable HTTP: the key goes with
every call, a call in doubt is repeated only for a tool that takes the key, an error
answer is a permanent failure and an event, and a server that is not up is transient."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import McpServerSettings
from bot.delivery import Delivery
from bot.errors import InDoubt, PermanentError, TransientError
from bot.events import Event
from bot.tool_catalog import ToolCatalog
from connectors.mcp import McpConnector, create_tool_connector
from tests.e2e.conftest import free_port
from tests.mcp.conftest import ToolServerProcess

INVOICE = {"customer": "Acme Ltd", "amount": 480, "currency": "EUR"}
ORIGIN = {
    "channel": "email",
    "thread": "<t@x>",
    "sender": "ann@client.example",
    "refs": {"message_id": "<t@x>"},
}


def _row(key: str, tool: str, arguments: dict[str, Any], *, in_doubt: bool = False) -> Delivery:
    return Delivery(
        key=key,
        connector="mcp:accounting",
        op="call",
        payload={"tool": tool, "arguments": arguments, "event_id": "email:<t@x>", "origin": ORIGIN},
        in_doubt=in_doubt,
    )


@pytest.fixture
async def connected(
    http_tool_server: ToolServerProcess,
) -> AsyncIterator[tuple[McpConnector, list[Event]]]:
    settings = McpServerSettings(url=http_tool_server.url, timeout=10)
    connector = create_tool_connector(name="accounting", settings=settings, catalog=ToolCatalog())
    events: list[Event] = []

    async def emit(event: Event) -> bool:
        events.append(event)
        return True

    await connector.start(emit)
    loop = asyncio.create_task(connector.server.run())
    try:
        yield connector, events
    finally:
        await connector.stop()
        await asyncio.wait_for(loop, timeout=10)


async def test_calls_carry_the_key_and_a_call_in_doubt_is_repeated_only_when_deduped(
    connected: tuple[McpConnector, list[Event]], http_tool_server: ToolServerProcess
) -> None:
    connector, events = connected
    receipt = await connector.deliver(_row("e1:0:mcp:accounting.create_invoice", "create_invoice", INVOICE))
    assert "INV-0001" in receipt["result"]
    # After a crash the same row comes back in doubt: create_invoice takes the key, so it
    # is sent again and the server answers with the first invoice.
    again = await connector.deliver(
        _row("e1:0:mcp:accounting.create_invoice", "create_invoice", INVOICE, in_doubt=True)
    )
    assert "INV-0001" in again["result"]
    keys = {c["arguments"]["idempotency_key"] for c in http_tool_server.calls("create_invoice")}
    assert keys == {"e1:0:mcp:accounting.create_invoice"}
    # record_payment takes no key: in doubt, it is not sent again.
    payment = {"invoice": "INV-0001", "amount": 480, "currency": "EUR"}
    with pytest.raises(InDoubt, match="did not call it again"):
        await connector.deliver(
            _row("e2:0:mcp:accounting.record_payment", "record_payment", payment, in_doubt=True)
        )
    assert http_tool_server.calls("record_payment") == []
    # The answers are events in the conversation of the call, one id per key.
    assert [e.kind for e in events] == ["tool_result", "tool_result"]
    assert events[0].id == events[1].id and events[0].thread == "<t@x>"
    assert events[0].refs["tool"] == "accounting.create_invoice" and events[0].refs["message_id"] == "<t@x>"


async def test_an_error_answer_is_permanent_and_reported_as_an_event(
    connected: tuple[McpConnector, list[Event]],
) -> None:
    connector, events = connected
    with pytest.raises(PermanentError, match="answered with an error"):
        await connector.deliver(
            _row("e3:0:mcp:accounting.add_note", "add_note", {"contact": "x", "text": "fail"})
        )
    assert events[-1].refs["is_error"] == "1"


async def test_a_server_that_is_not_up_is_a_transient_error() -> None:
    settings = McpServerSettings(url=f"http://127.0.0.1:{free_port()}/mcp", timeout=2)
    connector = create_tool_connector(name="accounting", settings=settings, catalog=ToolCatalog())
    with pytest.raises(TransientError, match="not connected"):
        await connector.server.call("create_invoice", INVOICE, key="k", wait=0.2)
    with pytest.raises(TransientError):
        await connector.server.run()
