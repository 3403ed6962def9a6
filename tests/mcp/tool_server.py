"""A small accounting/CRM MCP server for the tests: every call it receives is appended
to $TOOL_LOG as one JSON line before it answers, so a test reads from the server's side
what reached it. Run: ``python tool_server.py stdio`` or ``python tool_server.py http PORT``.

create_invoice takes an ``idempotency_key`` and dedupes on it (a repeated key returns the
first invoice); record_payment and add_note do not, like most real tools.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

logging.basicConfig(level=logging.WARNING)  # MCPServer() configures INFO otherwise

from mcp.server import MCPServer  # noqa: E402
from mcp.server.mcpserver import Context  # noqa: E402

server = MCPServer("accounting", log_level="WARNING")
_invoices: dict[str, str] = {}


def _record(tool: str, arguments: dict[str, Any], ctx: Context | None) -> None:
    meta = getattr(getattr(ctx, "request_context", None), "meta", None) if ctx is not None else None
    meta_dict = meta.model_dump(by_alias=True) if hasattr(meta, "model_dump") else (meta or {})
    line = {"tool": tool, "arguments": arguments, "meta": meta_dict, "pid": os.getpid()}
    with open(os.environ["TOOL_LOG"], "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, default=str) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


@server.tool()
def create_invoice(customer: str, amount: float, currency: str, idempotency_key: str, ctx: Context) -> str:
    """Create an invoice for a customer. Returns the invoice number."""
    _record(
        "create_invoice",
        {"customer": customer, "amount": amount, "currency": currency, "idempotency_key": idempotency_key},
        ctx,
    )
    number = _invoices.setdefault(idempotency_key, f"INV-{len(_invoices) + 1:04d}")
    return f"invoice {number} for {customer}: {amount:.2f} {currency}"


@server.tool()
def record_payment(invoice: str, amount: float, currency: str, ctx: Context) -> str:
    """Record a payment received against an invoice."""
    _record("record_payment", {"invoice": invoice, "amount": amount, "currency": currency}, ctx)
    return f"payment of {amount:.2f} {currency} recorded on {invoice}"


@server.tool()
def add_note(contact: str, text: str, ctx: Context) -> str:
    """Add a note to a contact in the CRM."""
    _record("add_note", {"contact": contact, "text": text}, ctx)
    if text == "fail":
        raise ValueError("the CRM refused the note")
    return f"note added to {contact}"


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
