"""The webhook channel: signed POSTs out (a rule's ``webhook.url``) and, when
``listen`` is set, signed POSTs in from the configured sources."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from bot.channels.contract import ConnectorRuntime, Emit
from bot.delivery import Delivery
from bot.errors import TransientError
from connectors.webhook.http_server import WebhookServer
from connectors.webhook.outbound import post
from connectors.webhook.settings import WebhookSettings


class WebhookConnector:
    def __init__(
        self, *, name: str, settings: WebhookSettings, runtime: ConnectorRuntime | None = None
    ) -> None:
        self.name = name
        self.settings = settings
        self._runtime = runtime
        self._session: aiohttp.ClientSession | None = None
        self.server: WebhookServer | None = None
        # Read now, so that `deputy check` (which builds connectors) names a missing one.
        self._secret, self._inbound = self._secrets()

    def _secrets(self) -> tuple[str, dict[str, str]]:
        """Every secret read at start: a missing variable stops the start with its name."""
        runtime = self._runtime
        if runtime is None:
            return "", {}
        out = runtime.secret(self.settings.secret_env, key="secret_env") if self.settings.secret_env else ""
        inbound = {
            name: runtime.secret(source.secret_env, key=f"in.{name}.secret_env")
            for name, source in self.settings.sources.items()
        }
        return out, inbound

    async def start(self, emit: Emit) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        )
        if self.settings.listen and self.settings.sources and self._runtime is not None:
            self.server = WebhookServer(
                channel=self.name,
                settings=self.settings,
                secrets=self._inbound,
                state=self._runtime.state,
                emit=emit,
            )
            await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            server, self.server = self.server, None
            await server.stop()
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        if self._session is None:
            raise TransientError("webhook connector not started")
        return await post(self._session, delivery, secret=self._secret, header=self.settings.signature_header)
