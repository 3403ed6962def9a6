"""A calendar over CalDAV: free slots for replies that offer times, events booked once,
invitations answered and stored (RFC 4791, RFC 5546)."""

from __future__ import annotations

from pydantic import BaseModel

from bot.channels.contract import Capabilities, ConnectorRuntime
from connectors.caldav.connector import CalDavConnector
from connectors.caldav.settings import CalDavSettings

SETTINGS = CalDavSettings
CAPABILITIES = Capabilities(wakes_owner=False)

__all__ = ["CAPABILITIES", "SETTINGS", "CalDavConnector", "CalDavSettings", "create"]


def create(*, name: str, settings: BaseModel, runtime: ConnectorRuntime) -> CalDavConnector:
    assert isinstance(settings, CalDavSettings)
    return CalDavConnector(name=name, settings=settings, runtime=runtime)
