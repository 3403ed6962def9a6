"""Email connector: IMAP intake, SMTP delivery, IMAP filing, and the MIME parser.

The core loads it by name (``type = "email"``) and uses ``SETTINGS`` and ``create``.
"""

from __future__ import annotations

from pydantic import BaseModel

from bot.channels.contract import Capabilities, ConnectorRuntime
from connectors.email.connector import EmailConnector
from connectors.email.settings import EmailSettings

SETTINGS = EmailSettings
CAPABILITIES = Capabilities(mail=True, threads=True, drafts=True)


def create(*, name: str, settings: BaseModel, runtime: ConnectorRuntime) -> EmailConnector:
    if not isinstance(settings, EmailSettings):
        settings = EmailSettings.model_validate(settings.model_dump())
    return EmailConnector(name=name, settings=settings, runtime=runtime)


__all__ = ["CAPABILITIES", "SETTINGS", "EmailConnector", "EmailSettings", "create"]
