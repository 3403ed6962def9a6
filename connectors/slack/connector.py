"""The Slack connector: slack-bolt intake (Socket Mode or HTTP Events API) and
deliveries through slack-sdk's AsyncWebClient.

Bolt runs with ``process_before_response=True``: a listener emits first and the
acknowledgement (HTTP 200 / socket envelope ack) goes out only after emit returned. If
emit raises, Slack gets a 500 (HTTP) or no ack (socket) and delivers again; the inbox
dedupes by event id. A small memory of recently committed ids acks Slack's retries
without a second emit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.contract import ConnectorRuntime, Emit
from bot.delivery import Delivery
from bot.events import Event
from connectors.chat_logging import protect_secrets
from connectors.slack.http_server import SlackHttpServer
from connectors.slack.outbound import SlackOutbound
from connectors.slack.parse import Identity, action_event, message_event
from connectors.slack.settings import SlackSettings

log = logging.getLogger(__name__)

RECENT_IDS = 2048


class SlackConnector:
    def __init__(self, *, name: str, settings: SlackSettings, runtime: ConnectorRuntime) -> None:
        self.name = name
        self._settings = settings
        self._runtime = runtime
        token = runtime.secret(settings.bot_token_env, key="bot_token_env")
        self._app_token = ""
        self._signing_secret = ""
        if settings.mode == "socket":
            self._app_token = runtime.secret(settings.app_token_env, key="app_token_env")
        else:
            self._signing_secret = runtime.secret(settings.signing_secret_env, key="signing_secret_env")
        protect_secrets(token, self._app_token, self._signing_secret)
        self._client = AsyncWebClient(token=token, base_url=settings.api_base_url)
        self._outbound = SlackOutbound(
            client=self._client,
            state=runtime.state,
            owner_user=runtime.owner.identity("slack"),
            chunk_chars=settings.chunk_chars,
        )
        self._emit: Emit | None = None
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._stopped = False
        self._http: SlackHttpServer | None = None
        self._socket: Any = None

    @property
    def http_port(self) -> int | None:
        """The bound port in HTTP mode (tests listen on port 0)."""
        return self._http.port if self._http is not None else None

    # -- lifecycle ----------------------------------------------------------------

    async def start(self, emit: Emit) -> None:
        self._emit = emit
        self._stopping.clear()
        self._stopped = False
        app = self._build_app()
        if self._settings.mode == "http":
            # Bind before returning so the endpoint is reachable once start() is done.
            self._http = SlackHttpServer(
                app=app,
                listen=self._settings.http_listen,
                path=self._settings.http_path,
                max_connections=self._settings.http_max_connections,
                idle_timeout=self._settings.http_idle_timeout_seconds,
                name=self.name,
            )
            await self._http.start()
        self._task = self._runtime.supervise(
            f"{self.name}.intake", lambda: self._run(app), stopping=self._stopping
        )

    async def stop(self) -> None:
        """Idempotent. Stops taking requests; an emit in flight finishes first (the HTTP
        server's shutdown waits for its handlers)."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        if self._http is not None:
            await self._http.stop()
            self._http = None
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()
            self._socket = None
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(self._task), timeout=30)

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        return await self._outbound.deliver(delivery)

    async def _run(self, app: AsyncApp) -> None:
        if self._settings.mode == "socket":
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(app, self._app_token)
            await self._socket.connect_async()
        await self._stopping.wait()

    # -- intake -------------------------------------------------------------------

    def _build_app(self) -> AsyncApp:
        app = AsyncApp(
            client=self._client,
            signing_secret=self._signing_secret,
            request_verification_enabled=self._settings.mode == "http",
            process_before_response=True,
        )
        app.event("message")(self._on_message)
        app.event(re.compile(".*"))(self._on_other_event)
        app.action(re.compile(".*"))(self._on_action)
        return app

    def _identity(self, context: Mapping[str, Any]) -> Identity:
        owner = self._runtime.owner
        return Identity(
            connector=self.name,
            owner_user=owner.identity("slack"),
            owner_team=owner.identity("slack_team"),
            bot_user=str(context.get("bot_user_id") or ""),
        )

    async def _on_message(self, body: dict[str, Any], ack: AsyncAck, context: Any) -> None:
        event_id = str(body.get("event_id", ""))
        if event_id and f"{self.name}:{event_id}" in self._recent:
            await ack()  # Slack's retry of something already committed
            return
        thread_ts = str((body.get("event") or {}).get("thread_ts") or "")
        channel = str((body.get("event") or {}).get("channel") or "")
        prompt_reply = bool(thread_ts) and (
            await self._runtime.state.get(f"prompt:{channel}:{thread_ts}") is not None
        )
        event = message_event(body, ident=self._identity(context), prompt_reply=prompt_reply)
        if event is not None:
            await self._commit(event)
        await ack()

    async def _on_action(self, body: dict[str, Any], ack: AsyncAck, context: Any) -> None:
        event = action_event(body, ident=self._identity(context))
        if event is None:
            user = (body.get("user") or {}).get("id", "?")
            log.warning("%s: button press from %s ignored: not the owner in a DM", self.name, user)
        elif event.id not in self._recent:
            await self._commit(event)
        await ack()

    async def _on_other_event(self, ack: AsyncAck) -> None:
        await ack()  # subscribed but not intake: ack so Slack does not retry

    async def _commit(self, event: Event) -> None:
        assert self._emit is not None
        await self._emit(event)  # raises: no ack, Slack redelivers
        self._recent[event.id] = None
        while len(self._recent) > RECENT_IDS:
            self._recent.popitem(last=False)
