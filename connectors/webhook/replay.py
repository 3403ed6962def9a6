"""Signatures already accepted, per source, for as long as their timestamp is fresh.

A captured request replayed inside the window carries a valid signature; it is refused
because its signature was seen. Past the window the timestamp check refuses it, so only
the window's signatures need keeping: the set stays bounded and lives in the connector's
durable state, so a restart does not reopen the window.
"""

from __future__ import annotations

import asyncio
import json

from bot.channels.contract import StateStore


class SeenSignatures:
    def __init__(self, state: StateStore, *, source: str, tolerance: float) -> None:
        self._state = state
        self._key = f"seen:{source}"
        self._tolerance = tolerance
        self._lock = asyncio.Lock()  # check-then-record per source, one request at a time

    @property
    def lock(self) -> asyncio.Lock:
        return self._lock

    async def _load(self) -> dict[str, int]:
        raw = await self._state.get(self._key)
        return dict(json.loads(raw)) if raw else {}

    async def seen(self, digest: str) -> bool:
        return digest in await self._load()

    async def record(self, digest: str, timestamp: int, *, now: float) -> None:
        seen = await self._load()
        horizon = now - 2 * self._tolerance  # timestamps may be ahead of us by the window too
        kept = {d: t for d, t in seen.items() if t >= horizon}
        kept[digest] = timestamp
        await self._state.set(self._key, json.dumps(kept, sort_keys=True))
