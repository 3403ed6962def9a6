"""A webhook receiver on 127.0.0.1: verifies signatures, honours Idempotency-Key.

It checks the HMAC with its own stdlib code (not Deputy's), records every request it
gets, and applies each idempotency key at most once, as a payment or CRM API does. Its
answers are scripted per request: "ok", "500", "hang" (answer nothing for ``hang_seconds``)
or "hold" (wait until released: the test kills the daemon meanwhile).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Received:
    key: str
    body: bytes
    signature: str
    valid_signature: bool
    signed_age: float  # seconds between the signature's timestamp and arrival


@dataclass
class WebhookReceiver:
    secret: str
    header: str = "Webhook-Signature"
    script: list[str] = field(default_factory=list)  # answers for the next requests; then "ok"
    hang_seconds: float = 5.0
    received: list[Received] = field(default_factory=list)
    applied: dict[str, Any] = field(default_factory=dict)  # idempotency key -> the body applied
    port: int = 0

    async def start(self) -> None:
        self._release = asyncio.Event()
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._release.set()
        self._stopping.set()
        await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/erp/payments?token=t0ken"

    async def release(self) -> None:
        self._release.set()

    def _check(self, body: bytes, header: str) -> tuple[bool, float]:
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        stamp = parts.get("t", "")
        if not stamp.isdigit():
            return False, 0.0
        mac = hmac.new(self.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(mac, parts.get("v1", "")), time.time() - int(stamp)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        key = request.headers.get("Idempotency-Key", "")
        valid, age = self._check(body, request.headers.get(self.header, ""))
        self.received.append(Received(key=key, body=body, signature=request.headers.get(self.header, ""),
                                      valid_signature=valid, signed_age=age))  # fmt: skip
        answer = self.script.pop(0) if self.script else "ok"
        if answer == "500":
            return web.Response(status=500, text="try later")
        if answer == "hang":  # past the client's timeout; cut short when the receiver stops
            try:
                await asyncio.wait_for(self._stopping.wait(), self.hang_seconds)
            except TimeoutError:
                pass
            return web.Response(status=504)
        if answer == "hold":
            await self._release.wait()
        if not valid or not key:
            return web.Response(status=401, text="bad signature")
        self.applied.setdefault(key, json.loads(body))
        return web.json_response({"ok": True})
