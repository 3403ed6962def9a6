"""One configured MCP server: its session, kept open by a supervised loop.

``run()`` connects (stdio: starts the server's process; HTTP: opens a session), lists
the tools into the catalog and then pings the server; when the server dies or stops
answering, ``run()`` raises, and the daemon's Supervisor (bot/supervisor.py) restarts it
with backoff while the health registry marks it degraded (the owner is told once per
outage by the alarm). ``call()`` waits briefly for a session and sends one tools/call.
"""

from __future__ import annotations

import asyncio
import logging
import os
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from bot.clock import wait_until_set
from bot.config import McpServerSettings
from bot.errors import ConfigError, TransientError
from bot.tool_catalog import ToolCatalog, ToolInfo

log = logging.getLogger("deputy.mcp")

# What a stdio server inherits from Deputy's environment besides its declared secrets:
# enough to run, never Deputy's own tokens.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")
# The key a tool that takes no ``idempotency_key`` argument gets in the call's _meta.
META_KEY = "io.github.deputy/idempotency-key"


class ToolServer:
    def __init__(self, *, name: str, settings: McpServerSettings, catalog: ToolCatalog) -> None:
        self.name = name
        self.settings = settings
        self.catalog = catalog
        self._client: Client | None = None
        self._ready = asyncio.Event()
        self._stopping = asyncio.Event()
        self._env = self._environment()  # a missing secret fails at start, not at a call
        self._token = self._secret(settings.token_env, "token_env") if settings.token_env else ""

    def _secret(self, env_name: str, key: str) -> str:
        value = os.environ.get(env_name, "")
        if not value:
            raise ConfigError(f"mcp.{self.name}.{key}: environment variable {env_name} is not set")
        return value

    def _environment(self) -> dict[str, str]:
        env = {k: os.environ[k] for k in _INHERITED if k in os.environ}
        for target, source in self.settings.env.items():
            env[target] = self._secret(source, f"env.{target}")
        return env

    def _transport(self) -> Client:
        s = self.settings
        if s.command:
            params = StdioServerParameters(command=s.command[0], args=list(s.command[1:]), env=self._env)
            return Client(params, read_timeout_seconds=s.timeout)
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        http: AbstractAsyncContextManager[Any] = streamable_http_client(
            s.url, http_client=httpx2.AsyncClient(headers=headers, timeout=s.timeout)
        )
        return Client(http, read_timeout_seconds=s.timeout)  # type: ignore[arg-type]

    def beat(self) -> None:
        """Replaced by the Supervisor: a listing that worked is a beat."""

    async def _list(self, client: Client) -> None:
        listed = await asyncio.wait_for(client.list_tools(cache_mode="bypass"), timeout=self.settings.timeout)
        tools = [
            ToolInfo(
                server=self.name,
                name=t.name,
                description=t.description or "",
                input_schema=dict(t.input_schema or {}),
            )
            for t in listed.tools
        ]
        self.catalog.replace_server(self.name, tools)
        self.beat()
        if not self._ready.is_set():
            log.info("mcp server %s: %d tools", self.name, len(tools))

    async def run(self) -> None:
        if self._stopping.is_set():
            return
        try:
            async with self._transport() as client:
                await self._list(client)
                self._client = client
                self._ready.set()
                while not self._stopping.is_set():
                    if not await wait_until_set(self._stopping, self.settings.ping_every):
                        # Liveness, and a fresh catalog: tools/list (ping is gone in the
                        # 2026-07-28 protocol revision's stateless mode).
                        await self._list(client)
        except OSError as exc:
            raise TransientError(f"mcp server {self.name} could not start: {exc}") from exc
        except BaseExceptionGroup as group:
            # The SDK's task groups wrap the one error that matters.
            leaf: BaseException = group
            while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
                leaf = leaf.exceptions[0]
            if isinstance(leaf, asyncio.CancelledError):
                raise
            raise TransientError(f"mcp server {self.name}: {type(leaf).__name__}: {leaf}") from group
        finally:
            self._client = None
            self._ready.clear()

    async def stop(self) -> None:
        self._stopping.set()

    async def connected(self, wait: float = 5.0) -> None:
        """Wait for a session (and so a listed catalog); ``TransientError`` if none comes."""
        if self._client is None:
            try:
                await asyncio.wait_for(self._ready.wait(), timeout=wait)
            except TimeoutError:
                raise TransientError(f"mcp server {self.name} is not connected") from None

    async def call(
        self, tool: str, arguments: dict[str, Any], *, key: str, wait: float = 5.0
    ) -> CallToolResult:
        """Send one call. ``TransientError`` when no session is up (nothing was sent)."""
        await self.connected(wait)
        client = self._client
        if client is None:
            raise TransientError(f"mcp server {self.name} is not connected")
        info = self.catalog.get(f"{self.name}.{tool}")
        if info is not None and info.takes_key:
            arguments = {**arguments, "idempotency_key": key}
        return await asyncio.wait_for(
            client.call_tool(tool, arguments, meta={META_KEY: key}),  # type: ignore[arg-type]
            timeout=self.settings.timeout,
        )
