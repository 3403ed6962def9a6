"""Slack connector: Socket Mode (default) or HTTP Events API intake through slack-bolt;
escaped sends, owner prompts with Block Kit buttons. Loaded as ``connectors.slack``."""

from __future__ import annotations

from pydantic import BaseModel

from bot.channels.contract import Capabilities, Connector, ConnectorRuntime
from connectors.slack.connector import SlackConnector
from connectors.slack.settings import SlackSettings

SETTINGS = SlackSettings
CAPABILITIES = Capabilities(buttons=True, threads=True, prompts=True, owner_key="slack")

__all__ = ["CAPABILITIES", "SETTINGS", "SlackConnector", "SlackSettings", "create"]


def create(*, name: str, settings: BaseModel, runtime: ConnectorRuntime) -> Connector:
    if not isinstance(settings, SlackSettings):
        settings = SlackSettings.model_validate(settings.model_dump())
    return SlackConnector(name=name, settings=settings, runtime=runtime)
