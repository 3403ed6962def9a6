"""Outbound webhooks (a rule's ``webhook.url``): a JSON POST, nothing inbound."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
from pydantic import BaseModel, ConfigDict, Field

from bot.channels.contract import Capabilities, ConnectorRuntime, Emit
from bot.delivery import Delivery
from bot.errors import PermanentError, TransientError


class WebhookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    timeout_seconds: float = Field(default=10.0, gt=0)


SETTINGS = WebhookSettings
CAPABILITIES = Capabilities()


class WebhookConnector:
    def __init__(self, *, name: str, settings: WebhookSettings) -> None:
        self.name = name
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    async def start(self, emit: Emit) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        )

    async def stop(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        if self._session is None:
            raise TransientError("webhook connector not started")
        url = str(delivery.payload["url"])
        try:
            async with self._session.post(
                url, json=delivery.payload.get("payload", {}), headers={"Idempotency-Key": delivery.key}
            ) as response:
                if response.status == 429 or response.status >= 500:
                    retry = response.headers.get("Retry-After")
                    raise TransientError(
                        f"{url}: HTTP {response.status}",
                        retry_after=float(retry) if retry and retry.isdigit() else None,
                    )
                if response.status >= 400:
                    raise PermanentError(f"{url}: HTTP {response.status}")
                return {"status": str(response.status)}
        except aiohttp.ClientError as exc:
            raise TransientError(f"{url}: {exc}") from exc


def create(*, name: str, settings: BaseModel, runtime: ConnectorRuntime) -> WebhookConnector:
    assert isinstance(settings, WebhookSettings)
    return WebhookConnector(name=name, settings=settings)
