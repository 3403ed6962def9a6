"""Capped exponential backoff with full jitter.

Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): the delay before
retry ``attempt`` is ``uniform(0, min(cap, base * 2**attempt))``, so that many clients
failing at once do not retry in lockstep. A server's ``retry_after`` (a 429's
Retry-After), when given, is honoured as is.

``delay`` is the pure function, for callers that number their attempts; ``Backoff`` is
the stateful form (``next()``/``reset()``) for reconnect loops.
"""

from __future__ import annotations

import random

# 2**MAX_EXPONENT * base is far beyond any sensible cap; it keeps the float finite.
MAX_EXPONENT = 30


def delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry ``attempt`` (0 for the first retry).

    ``retry_after``, when not None, is returned unchanged; otherwise the delay is drawn
    uniformly from ``[0, min(cap, base * 2**attempt)]``."""
    if retry_after is not None:
        return retry_after
    exponent = min(max(attempt, 0), MAX_EXPONENT)
    ceiling = min(cap, base * 2**exponent)
    return (rng or random).uniform(0.0, ceiling)


class Backoff:
    """Successive full-jitter delays for a reconnect loop: ``next()`` after each failure,
    ``reset()`` after a success."""

    def __init__(self, *, base: float = 0.5, cap: float = 300.0, rng: random.Random | None = None) -> None:
        self._base, self._cap, self._rng = base, cap, rng
        self._attempt = 0

    @property
    def attempt(self) -> int:
        """How many delays ``next()`` has handed out since the last reset."""
        return self._attempt

    def next(self, retry_after: float | None = None) -> float:
        wait = delay(self._attempt, base=self._base, cap=self._cap, retry_after=retry_after, rng=self._rng)
        self._attempt = min(self._attempt + 1, MAX_EXPONENT)
        return wait

    def reset(self) -> None:
        self._attempt = 0
