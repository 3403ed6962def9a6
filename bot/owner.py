"""Who the owner is, as connectors need to know it to mark ``sender_verified_owner``.

Loaded from rules/owner.md. Identity is by id (``identities``: Telegram user id,
Slack user+team; authenticated email), never by display name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnerProfile:
    name: str = "Owner"
    emails: tuple[str, ...] = ()
    timezone: str = "UTC"
    preferred_channel: str = "cli"
    fallback_channels: tuple[str, ...] = ()
    signature: str = ""
    tone: str = ""  # the body of owner.md: how the owner writes
    # Channel identities, keyed by a connector's ``owner_key``: {"telegram": "4242",
    # "slack": "U0123ABC", "slack_team": "T0123ABC"}. Ids, never display names.
    identities: Mapping[str, str] = field(default_factory=dict)
    digest_time: str = "08:00"
    quiet_hours: tuple[str, str] | None = None  # ("22:00", "07:00") local time
    extra: dict[str, str] = field(default_factory=dict)

    def identity(self, key: str) -> str:
        """The owner's id on a channel (``owner_key``), or "" when not configured."""
        return self.identities.get(key, "")
