"""Webhook intake: an aiohttp server that Telegram POSTs updates to.

The secret_token given to setWebhook comes back in X-Telegram-Bot-Api-Secret-Token;
anything without it is refused, so only Telegram can inject updates. The HTTP answer
is sent after emit: a 500 makes Telegram redeliver (the inbox dedupes by update id).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Bot, Update

from connectors.connection_cap import ConnectionCap, serve_capped

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    def __init__(
        self,
        *,
        listen: str,
        path: str,
        secret: str,
        bot: Bot,
        handle: Callable[[Update], Awaitable[None]],
        name: str,
        max_connections: int = 100,
        idle_timeout: float = 60.0,
    ) -> None:
        host, _, port = listen.rpartition(":")
        self._host, self._port = host or "127.0.0.1", int(port)
        self._path = path
        self._secret = secret
        self._bot = bot
        self._handle = handle
        self._name = name
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self.cap = ConnectionCap(
            name=f"{name}: webhook {listen}", max_connections=max_connections, idle_timeout=idle_timeout
        )

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self._path, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
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
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            log.warning("%s: webhook request without a valid secret token refused", self._name)
            return web.Response(status=401)
        try:
            update = Update.de_json(await request.json(), self._bot)
        except Exception:
            log.warning("%s: webhook body is not an update; dropped", self._name)
            return web.Response(status=400)
        try:
            await self._handle(update)
        except Exception:
            log.exception("%s: webhook update %s not committed", self._name, update.update_id)
            return web.Response(status=500)
        return web.Response(status=200)
