"""HTTP Events API intake: an aiohttp server handing requests to bolt.

Bolt verifies the signing secret and the 5-minute timestamp window; this module only
adapts aiohttp to bolt and owns the server's lifecycle.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp

from connectors.connection_cap import ConnectionCap, serve_capped


class SlackHttpServer:
    def __init__(
        self,
        *,
        app: AsyncApp,
        listen: str,
        path: str,
        max_connections: int = 100,
        idle_timeout: float = 60.0,
        name: str = "slack",
    ) -> None:
        host, _, port = listen.rpartition(":")
        self._host, self._port = host or "127.0.0.1", int(port)
        self._app = app
        self._path = path
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self.cap = ConnectionCap(
            name=f"{name}: HTTP {listen}", max_connections=max_connections, idle_timeout=idle_timeout
        )

    @property
    def port(self) -> int:
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        web_app = web.Application()
        web_app.router.add_post(self._path, self._receive)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        self._server = await serve_capped(self.cap, self._runner, self._host, self._port)

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        bolt_response = await self._app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)
