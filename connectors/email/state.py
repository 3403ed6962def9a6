"""Email state kept in the runtime's durable state store: the per-folder UID cursor
and the markers of sends that reached SMTP DATA.

The cursor is the highest UID whose Event the inbox has committed. It is written
only after ``emit`` returns, so a crash re-fetches at most the message in flight
and the inbox dedupes it by event id.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from bot.channels.contract import StateStore


@dataclass(frozen=True, slots=True)
class Cursor:
    uidvalidity: int
    last_uid: int


class CursorStore:
    def __init__(self, state: StateStore) -> None:
        self._state = state

    @staticmethod
    def _key(folder: str) -> str:
        return f"imap_cursor:{folder}"

    async def get(self, folder: str) -> Cursor | None:
        raw = await self._state.get(self._key(folder))
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return Cursor(int(data["uidvalidity"]), int(data["last_uid"]))
        except (ValueError, KeyError, TypeError):
            return None

    async def set(self, folder: str, cursor: Cursor) -> None:
        value = {"uidvalidity": cursor.uidvalidity, "last_uid": cursor.last_uid}
        await self._state.set(self._key(folder), json.dumps(value))


class DataMarkers:
    """Which sends reached SMTP DATA without their outcome being recorded yet.

    A marker is written (and committed) just before DATA and removed once the outcome
    is known. On a retry after a crash, a marker means the server may have accepted the
    message (RFC 5321 has no idempotency: a second DATA is a second mail), so the send
    must not be repeated blindly; no marker means the earlier attempt never got as far
    as DATA, and sending is safe.

    The markers live in one state key as a JSON map {delivery key: unix time}: the state
    store has no delete, and one key that shrinks keeps them from piling up. Markers of
    sends that are never retried are dropped after ``max_age`` seconds, far longer than
    a daemon is expected to stay down with a send in doubt.
    """

    KEY = "smtp_data_markers"

    def __init__(self, state: StateStore, *, max_age: float = 90 * 86400.0) -> None:
        self._state = state
        self._max_age = max_age
        # The map is read, changed and written back: concurrent sends of one connector
        # must not lose each other's markers.
        self._lock = asyncio.Lock()

    async def _load(self) -> dict[str, float]:
        raw = await self._state.get(self.KEY)
        if not raw:
            return {}
        try:
            data = json.loads(raw)
            return {str(k): float(v) for k, v in data.items()}
        except (ValueError, TypeError, AttributeError):
            return {}

    async def has(self, key: str) -> bool:
        return key in await self._load()

    async def add(self, key: str) -> None:
        """Record ``key``; returns once the state store has committed it."""
        async with self._lock:
            now = time.time()
            markers = {k: t for k, t in (await self._load()).items() if now - t < self._max_age}
            markers[key] = now
            await self._state.set(self.KEY, json.dumps(markers, sort_keys=True))

    async def discard(self, key: str) -> None:
        async with self._lock:
            markers = await self._load()
            if markers.pop(key, None) is not None:
                await self._state.set(self.KEY, json.dumps(markers, sort_keys=True))
