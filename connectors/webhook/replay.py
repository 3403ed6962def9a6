"""Signatures already accepted, per source, for as long as their timestamp is fresh.

A captured request replayed inside the window carries a valid signature; it is refused
because its signature was seen. Past the window the timestamp check refuses it, so only
the window's signatures need keeping: the set stays bounded and lives in the connector's
durable state, so a restart does not reopen the window. It is read once and then kept
in memory; ``claim`` checks and reserves in one step (no await between them), so two
copies of one request arriving at once cannot both pass.
"""

from __future__ import annotations

import json

from bot.channels.contract import StateStore


class SeenSignatures:
    def __init__(self, state: StateStore, *, source: str, tolerance: float) -> None:
        self._state = state
        self._key = f"seen:{source}"
        self._tolerance = tolerance
        self._seen: dict[str, int] | None = None

    async def load(self) -> None:
        if self._seen is None:
            raw = await self._state.get(self._key)
            self._seen = {str(k): int(v) for k, v in json.loads(raw).items()} if raw else {}

    def claim(self, digest: str, timestamp: int) -> bool:
        """False when ``digest`` was accepted (or is being accepted) already."""
        assert self._seen is not None, "load() first"
        if digest in self._seen:
            return False
        self._seen[digest] = timestamp
        return True

    def release(self, digest: str) -> None:
        """The request was not stored after all: its sender may try it again."""
        if self._seen is not None:
            self._seen.pop(digest, None)

    async def record(self, *, now: float) -> None:
        """Persist the set, without what left the window."""
        assert self._seen is not None, "load() first"
        horizon = now - 2 * self._tolerance  # timestamps may be ahead of us by the window too
        for digest in [d for d, t in self._seen.items() if t < horizon]:
            del self._seen[digest]
        await self._state.set(self._key, json.dumps(self._seen, sort_keys=True))
