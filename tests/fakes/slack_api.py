"""A small Slack Web API server on 127.0.0.1, plus a signed Events API client.

slack-sdk's AsyncWebClient runs unmodified against it (``base_url=fake.base_url``;
the trailing slash matters). It records calls, keeps posted messages, answers like
Slack (HTTP 200 with ``ok: false`` for API errors, 429 with Retry-After for rate
limits), and fails on demand. ``EventsClient`` POSTs Events API and interactivity
payloads signed the way Slack signs them, to the app's HTTP endpoint.
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier


@dataclass
class Failure:
    error: str
    status: int = 200
    retry_after: int | None = None


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    error: str = ""


@dataclass
class FakeSlack:
    token: str
    team_id: str = "T0TEAM"
    bot_user: str = "U0DEPUTY"
    bot_id: str = "B0DEPUTY"
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    channels: set[str] = field(default_factory=lambda: {"C0GENERAL"})
    app_token: str = ""  # xapp-...: Socket Mode (apps.connections.open + a websocket)
    socket_acks: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._failures: dict[str, list[Failure | None]] = {}
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._dispatch)
        app.router.add_get("/socket", self._socket)
        self._sockets: list[web.WebSocketResponse] = []
        self._envelopes = itertools.count(1)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def fail(
        self,
        method: str,
        *,
        error: str,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        queue = self._failures.setdefault(method, [])
        queue.extend([None] * after)
        queue.extend([Failure(error, status, retry_after)] * times)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted(self, channel: str) -> list[dict[str, Any]]:
        return [m for (c, _), m in sorted(self.messages.items()) if c == channel]

    # -- dispatch ----------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params)
        self.calls.append(call)
        token = self.app_token if method == "apps.connections.open" else self.token
        if not token or request.headers.get("Authorization", "") != f"Bearer {token}":
            return self._error(call, "invalid_auth")
        queued = self._failures.get(method)
        failure = queued.pop(0) if queued else None
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return self._error(call, failure.error, status=failure.status, headers=headers)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._error(call, "unknown_method")
        try:
            result = handler(params)
        except _ApiError as exc:
            return self._error(call, exc.error)
        return web.json_response({"ok": True, **result})

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        form = dict(await request.post())
        params: dict[str, Any] = {**request.query, **{k: str(v) for k, v in form.items()}}
        for key in ("blocks", "attachments"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    def _error(
        self, call: Call, error: str, *, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        call.status, call.error = status, error
        if status >= 500:
            return web.Response(status=status, text="upstream error")
        return web.json_response({"ok": False, "error": error}, status=status, headers=headers)

    # -- Socket Mode: https://api.slack.com/apis/socket-mode ------------------------------

    def _m_apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/socket"}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "connection_info": {"app_id": "A0APP"},
                "debug_info": {"host": "fake"},
            }
        )
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                data = json.loads(message.data)
                if "envelope_id" in data:
                    self.socket_acks.append(str(data["envelope_id"]))
        self._sockets.remove(ws)
        return ws

    @property
    def socket_connected(self) -> bool:
        return any(not ws.closed for ws in self._sockets)

    async def socket_push(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an envelope (``events_api`` or ``interactive``); returns its envelope_id,
        which appears in ``socket_acks`` once the app acknowledged it."""
        envelope_id = f"env-{next(self._envelopes)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        for ws in self._sockets:
            if not ws.closed:
                await ws.send_json(envelope)
        return envelope_id

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    # -- methods -----------------------------------------------------------------------

    def _m_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://fake.slack.com/",
            "team": "Fake Team",
            "user": "deputy",
            "team_id": self.team_id,
            "user_id": self.bot_user,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _m_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users", ""))
        if not users or "," in users:
            raise _ApiError("user_not_found" if not users else "not_implemented")
        channel = "D" + users[1:]
        self.channels.add(channel)
        return {"channel": {"id": channel}}

    def _m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if channel not in self.channels:
            raise _ApiError("channel_not_found")
        if not params.get("text") and not params.get("blocks"):
            raise _ApiError("no_text")
        if len(str(params.get("text", ""))) > 40000:
            raise _ApiError("msg_too_long")
        for block in params.get("blocks") or []:
            text = (block.get("text") or {}).get("text", "")
            if len(text) > 3000:
                raise _ApiError("invalid_blocks")
        ts = self._next_ts()
        message = {
            "channel": channel,
            "ts": ts,
            "text": params.get("text", ""),
            "blocks": params.get("blocks") or [],
            "thread_ts": params.get("thread_ts", ""),
            "user": self.bot_user,
            "bot_id": self.bot_id,
        }
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (str(params.get("channel", "")), str(params.get("ts", "")))
        message = self.messages.get(key)
        if message is None:
            raise _ApiError("message_not_found")
        message["text"] = params.get("text", "")
        message["blocks"] = params.get("blocks") or []
        return {"channel": key[0], "ts": key[1], "text": message["text"]}


class _ApiError(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class EventsClient:
    """Plays Slack's side of the Events API: signs and POSTs payloads."""

    url: str
    signing_secret: str
    team_id: str = "T0TEAM"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def message(
        self,
        *,
        user: str,
        text: str,
        channel: str = "D0OWNER",
        channel_type: str = "im",
        team: str | None = None,
        thread_ts: str | None = None,
        event_id: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        ts = f"{int(time.time())}.{500000 + next(self._ids):06d}"  # apart from the API's
        event: dict[str, Any] = {
            "type": "message",
            "user": user,
            "text": text,
            "ts": ts,
            "channel": channel,
            "channel_type": channel_type,
            "team": team or self.team_id,
            "event_ts": ts,
            **extra,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": "A0APP",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
        }

    def button(
        self, *, user: str, team: str | None, channel: str, message_ts: str, value: str
    ) -> dict[str, Any]:
        now = f"{time.time():.6f}"
        return {
            "type": "block_actions",
            "user": {"id": user, "team_id": team or self.team_id, "username": "someone"},
            "team": {"id": team or self.team_id},
            "api_app_id": "A0APP",
            "trigger_id": f"trig{next(self._ids)}",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "channel": {"id": channel},
            "message": {"ts": message_ts, "type": "message"},
            "actions": [
                {
                    "type": "button",
                    "action_id": "deputy_answer_0",
                    "block_id": "deputy_answer",
                    "value": value,
                    "action_ts": now,
                }
            ],
        }

    async def post(
        self,
        payload: dict[str, Any],
        *,
        secret: str | None = None,
        timestamp: int | None = None,
        retry_num: int | None = None,
    ) -> int:
        """POST like Slack does; returns the HTTP status the app answered."""
        if payload.get("type") == "block_actions":
            body = "payload=" + urllib.parse.quote(json.dumps(payload))
            content_type = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(payload)
            content_type = "application/json"
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        verifier = SignatureVerifier(secret if secret is not None else self.signing_secret)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": verifier.generate_signature(timestamp=stamp, body=body),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url, data=body.encode(), headers=headers) as response,
        ):
            await response.read()
            return response.status
