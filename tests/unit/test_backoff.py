"""bot.backoff: full jitter within [0, min(cap, base * 2**attempt)], retry_after honoured."""

from __future__ import annotations

import random

import pytest

from bot import backoff
from bot.backoff import Backoff


@pytest.fixture(autouse=True)
def _seeded() -> None:
    random.seed(1234)


@pytest.mark.parametrize("attempt", range(8))
def test_delay_within_full_jitter_bounds(attempt: int) -> None:
    ceiling = min(1000.0, 0.5 * 2**attempt)
    waits = [backoff.delay(attempt, base=0.5, cap=1000.0) for _ in range(200)]
    assert all(0.0 <= w <= ceiling for w in waits)
    # full jitter: draws spread over the whole range, well below half the ceiling too
    assert min(waits) < ceiling / 4
    assert max(waits) > ceiling * 3 / 4


def test_delay_is_capped() -> None:
    waits = [backoff.delay(a, base=1.0, cap=5.0) for a in range(3, 200) for _ in range(5)]
    assert all(0.0 <= w <= 5.0 for w in waits)
    assert max(waits) > 4.0


def test_huge_attempt_does_not_overflow() -> None:
    assert 0.0 <= backoff.delay(10_000, base=1.0, cap=60.0) <= 60.0


def test_negative_attempt_is_treated_as_first() -> None:
    assert all(0.0 <= backoff.delay(-3, base=2.0, cap=60.0) <= 2.0 for _ in range(50))


@pytest.mark.parametrize("retry_after", [0.0, 0.25, 7.0, 500.0])
def test_retry_after_is_honoured_even_beyond_cap(retry_after: float) -> None:
    assert backoff.delay(3, base=1.0, cap=60.0, retry_after=retry_after) == retry_after


def test_seeded_rng_is_deterministic() -> None:
    a = [backoff.delay(i, base=1.0, cap=30.0, rng=random.Random(7)) for i in range(6)]
    b = [backoff.delay(i, base=1.0, cap=30.0, rng=random.Random(7)) for i in range(6)]
    assert a == b


def test_class_grows_then_caps() -> None:
    b = Backoff(base=0.5, cap=4.0, rng=random.Random(42))
    for attempt in range(12):
        ceiling = min(4.0, 0.5 * 2**attempt)
        assert 0.0 <= b.next() <= ceiling
    assert b.attempt == 12


def test_class_matches_pure_function() -> None:
    b = Backoff(base=1.0, cap=100.0, rng=random.Random(3))
    rng = random.Random(3)
    expected = [backoff.delay(i, base=1.0, cap=100.0, rng=rng) for i in range(5)]
    assert [b.next() for _ in range(5)] == expected


def test_class_reset_restarts_from_base() -> None:
    b = Backoff(base=1.0, cap=300.0, rng=random.Random(5))
    for _ in range(10):
        b.next()
    b.reset()
    assert b.attempt == 0
    for _ in range(50):
        assert 0.0 <= b.next() <= 1.0  # the first delay after a reset is within base
        b.reset()


def test_class_retry_after_honoured_and_counts_as_attempt() -> None:
    b = Backoff(base=1.0, cap=10.0)
    assert b.next(retry_after=42.0) == 42.0
    assert b.attempt == 1
    assert 0.0 <= b.next() <= 2.0


def test_class_attempt_counter_is_bounded() -> None:
    b = Backoff(base=1.0, cap=1.0)
    for _ in range(100):
        assert 0.0 <= b.next() <= 1.0
    assert b.attempt == backoff.MAX_EXPONENT
