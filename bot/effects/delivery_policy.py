"""When a delivery that keeps failing is retried, reported late, or given up.

By time, the way mail servers queue: Postfix keeps a message for
``maximal_queue_lifetime`` (5 days) and warns the sender after ``delay_warning_time``
(4 hours). A count of attempts is no measure of an outage: 8 quick attempts were spent in
104 s while a relay answered 451 for 180 s, and the replies were lost. The age of a
delivery counts from its first try (a row held over the quiet hours is not late).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot import backoff
from bot.config import DeliverySettings


class Verdict(Enum):
    RETRY = "retry"
    LATE = "late"  # retry, and tell the owner (once: the notice key is the row's)
    GIVE_UP = "give_up"


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    give_up_after: float = 5 * 86400.0
    warn_after: float = 4 * 3600.0
    retry_min: float = 1.0
    retry_max: float = 1800.0
    max_attempts: int | None = None  # also give up after this many tries

    @classmethod
    def from_settings(cls, settings: DeliverySettings, *, max_attempts: int | None) -> DeliveryPolicy:
        return cls(
            give_up_after=settings.give_up_after,
            warn_after=settings.warn_after,
            retry_min=settings.retry_min,
            retry_max=settings.retry_max,
            max_attempts=max_attempts,
        )

    def verdict(self, *, age: float, attempts: int) -> Verdict:
        if age >= self.give_up_after or (self.max_attempts is not None and attempts >= self.max_attempts):
            return Verdict.GIVE_UP
        return Verdict.LATE if age >= self.warn_after else Verdict.RETRY

    def delay(self, attempts: int, *, retry_after: float | None = None) -> float:
        """Seconds before the next try: a server's Retry-After as given, else full jitter
        from ``retry_min`` doubling up to ``retry_max``; never below ``retry_min``."""
        if retry_after is not None:
            return retry_after
        return max(self.retry_min, backoff.delay(attempts - 1, base=self.retry_min, cap=self.retry_max))


def human(seconds: float) -> str:
    """``3 min``, ``4 h 10 min``, ``5 d``: durations in notices the owner reads."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return f"{int(seconds)} s"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{hours // 24} d" + (f" {hours % 24} h" if hours % 24 else "")
