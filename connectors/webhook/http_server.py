"""The inbound listener: signed POSTs in, events into the inbox, then the answer.

Order per request: size cap, signature and timestamp (401), replay of a seen signature
(409), JSON body (400), then ``emit``, which returns only once the event is committed to
the inbox, and only then 200. A failure to persist answers 503, so the sender retries.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from bot.channels.contract import Emit, StateStore
from connectors.connection_cap import ConnectionCap, serve_capped
from connectors.webhook.parse import BodyRefused, decode, to_event
from connectors.webhook.replay import SeenSignatures
from connectors.webhook.settings import InboundSource, WebhookSettings
from connectors.webhook.signing import SignatureRefused, verify

log = logging.getLogger("deputy.webhook")


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    source: InboundSource
    secret: str
    seen: SeenSignatures


class WebhookServer:
    def __init__(
        self,
        *,
        channel: str,
        settings: WebhookSettings,
        secrets: Mapping[str, str],
        state: StateStore,
        emit: Emit,
    ) -> None:
        host, _, port = settings.listen.rpartition(":")
        self._host, self._port = host.strip("[]") or "127.0.0.1", int(port)
        self._channel = channel
        self._settings = settings
        self._emit = emit
        self._routes = {
            s.path: Route(
                name=name,
                source=s,
                secret=secrets[name],
                seen=SeenSignatures(state, source=name, tolerance=s.tolerance_seconds),
            )
            for name, s in settings.sources.items()
        }
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self.cap = ConnectionCap(
            name=f"{channel}: HTTP {settings.listen}",
            max_connections=settings.max_connections,
            idle_timeout=60.0,
        )

    @property
    def port(self) -> int:
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        app = web.Application(client_max_size=self._settings.max_body_bytes)
        for path in self._routes:
            app.router.add_post(path, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self._server = await serve_capped(self.cap, self._runner, self._host, self._port)

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.close()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        route = self._routes[request.path]
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _answer(413, "body too large")
        now = time.time()
        try:
            signed = verify(
                route.secret,
                request.headers.get(route.source.signature_header, ""),
                body,
                now=now,
                tolerance=route.source.tolerance_seconds,
            )
        except SignatureRefused as exc:
            log.warning("%s: refused a POST to %s: %s", self._channel, route.name, exc)
            return _answer(401, str(exc))
        try:
            data = decode(body)
        except BodyRefused as exc:
            return _answer(400, str(exc))
        await route.seen.load()
        if not route.seen.claim(signed.digest, signed.timestamp):
            log.warning("%s: refused a replayed POST to %s", self._channel, route.name)
            return _answer(409, "replayed: this signature was already accepted")
        event = to_event(channel=self._channel, name=route.name, source=route.source, body=body, data=data)
        try:
            new = await self._emit(event)
            await route.seen.record(now=now)
        except Exception:
            route.seen.release(signed.digest)
            log.exception("%s: could not store a POST to %s", self._channel, route.name)
            return _answer(503, "not stored; try again")
        return web.json_response({"ok": True, "event": event.id, "duplicate": not new})


def _answer(status: int, reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=status)
