"""A verified POST body becomes an Event; nothing here decides what it means.

The event keeps the body as received (``text``, ``refs["format"] = "json"``), so rules
read its fields (``bot.payload``) and ``deputy log`` shows exactly what came in.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from bot.events import Event
from bot.payload import JSON_FORMAT, is_missing, lookup
from connectors.webhook.settings import InboundSource


class BodyRefused(Exception):
    """The body is not a JSON object; the text is safe to answer with."""


def decode(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BodyRefused("body is not UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise BodyRefused("body is not a JSON object")
    return data


def natural_key(data: dict[str, Any], source: InboundSource, body: bytes) -> str:
    """The provider's event id when it sends one, else a digest of the body: a retry of
    the same event is then one inbox row however often it is signed anew."""
    value = lookup(data, source.id_field)
    if not is_missing(value) and isinstance(value, str | int) and str(value).strip():
        return str(value).strip()[:200]
    return "sha256-" + hashlib.sha256(body).hexdigest()[:40]


def to_event(
    *,
    channel: str,
    name: str,
    source: InboundSource,
    body: bytes,
    data: dict[str, Any],
    now: datetime | None = None,
) -> Event:
    key = natural_key(data, source, body)
    subject = lookup(data, source.subject_field)
    return Event(
        id=f"{channel}:{name}:{key}",
        channel=channel,
        kind="message",
        thread=f"{name}:{key}",
        sender=name,
        sender_name=name,
        received_at=now or datetime.now(UTC),
        subject=str(subject)[:500] if isinstance(subject, str | int | float) else "",
        text=body.decode("utf-8"),
        refs={"format": JSON_FORMAT, "source": name, "channel_type": "webhook", "webhook_id": key},
    )
