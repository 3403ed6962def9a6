"""Capped exponential backoff with full jitter, so that many clients reconnecting
after a server restart do not arrive in lockstep."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, *, base: float = 0.5, cap: float = 300.0) -> None:
        self._base, self._cap = base, cap
        self._attempt = 0

    def next(self) -> float:
        ceiling = min(self._cap, self._base * (2**self._attempt))
        self._attempt = min(self._attempt + 1, 30)
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self._attempt = 0
