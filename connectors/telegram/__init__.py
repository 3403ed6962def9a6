"""Telegram connector: long polling (default) or webhook intake; HTML-escaped sends,
owner prompts with inline buttons. Loaded by the core as ``connectors.telegram``."""

from __future__ import annotations

from pydantic import BaseModel

from bot.channels.contract import Capabilities, Connector, ConnectorRuntime
from connectors.telegram.connector import TelegramConnector
from connectors.telegram.settings import TelegramSettings

SETTINGS = TelegramSettings
CAPABILITIES = Capabilities(buttons=True, prompts=True, owner_key="telegram")

__all__ = ["CAPABILITIES", "SETTINGS", "TelegramConnector", "TelegramSettings", "create"]


def create(*, name: str, settings: BaseModel, runtime: ConnectorRuntime) -> Connector:
    if not isinstance(settings, TelegramSettings):
        settings = TelegramSettings.model_validate(settings.model_dump())
    return TelegramConnector(name=name, settings=settings, runtime=runtime)
