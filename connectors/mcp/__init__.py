"""MCP: tools of configured servers as gated actions (client), and Deputy as a server.

Not a channel: ``[mcp.<name>]`` sections declare tool servers; each becomes a connector
named ``mcp:<name>`` that delivers the outbox rows of op "call" (connector.py), with a
session loop the daemon supervises (client.py). ``[mcp_server]`` serves Deputy's own
tools to other agents (server.py).
"""

from __future__ import annotations

from bot.config import McpServerSettings, McpServeSettings
from bot.store import Store
from bot.tool_catalog import ToolCatalog
from connectors.mcp.client import ToolServer
from connectors.mcp.connector import McpConnector
from connectors.mcp.server import DeputyServer


def create_tool_connector(*, name: str, settings: McpServerSettings, catalog: ToolCatalog) -> McpConnector:
    """The connector for ``[mcp.<name>]``; its ``server`` is the loop to supervise."""
    return McpConnector(name=f"mcp:{name}", server=ToolServer(name=name, settings=settings, catalog=catalog))


def create_deputy_server(*, settings: McpServeSettings, store: Store) -> DeputyServer:
    return DeputyServer(settings=settings, store=store)


__all__ = ["DeputyServer", "McpConnector", "ToolServer", "create_deputy_server", "create_tool_connector"]
