"""Webhooks: signed JSON POSTs out (a rule's ``webhook.url``) and in (``[channels.webhook.in.<source>]``)."""

from __future__ import annotations

from pydantic import BaseModel

from bot.channels.contract import Capabilities, ConnectorRuntime
from connectors.webhook.connector import WebhookConnector
from connectors.webhook.settings import InboundSource, WebhookSettings

SETTINGS = WebhookSettings
CAPABILITIES = Capabilities()

__all__ = ["CAPABILITIES", "SETTINGS", "InboundSource", "WebhookConnector", "WebhookSettings", "create"]


def create(*, name: str, settings: BaseModel, runtime: ConnectorRuntime) -> WebhookConnector:
    assert isinstance(settings, WebhookSettings)
    return WebhookConnector(name=name, settings=settings, runtime=runtime)
