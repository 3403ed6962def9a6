"""The JSON fields an event carries when its source speaks JSON (an inbound webhook).

Such an event's ``text`` is the body as received and ``refs["format"]`` is ``"json"``;
rules (``when.field``) and webhook payload templates read fields by dotted path
(``data.object.status``; a list index is a number: ``items.0.sku``). One reader here, so
the matcher, the templates and the connector agree on what a path means.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from bot.events import Event

JSON_FORMAT = "json"
_MISSING = object()


@lru_cache(maxsize=256)
def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def document(event: Event) -> Any:
    """The decoded body of a JSON event, else None. Cached: every rule reads it."""
    if event.refs.get("format") != JSON_FORMAT:
        return None
    return _decode(event.text)


def lookup(data: Any, path: str) -> Any:
    """The value at dotted ``path`` in ``data``, or ``MISSING``."""
    node = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def is_missing(value: Any) -> bool:
    return value is _MISSING


def field(event: Event, path: str) -> Any:
    """The value at ``path`` in the event's JSON body (``MISSING`` when there is none)."""
    data = document(event)
    return _MISSING if data is None else lookup(data, path)
