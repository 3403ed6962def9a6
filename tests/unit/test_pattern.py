"""Owner-written patterns: Python's meaning, without Python's backtracking stalls."""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.events import Event
from bot.owner import OwnerProfile
from bot.rules.matcher import select
from bot.rules.model import Rule, Rulebook, RuleHeader
from bot.rules.pattern import owner_pattern

CASES = [
    (r"(?i)invoice|bill", ["Invoice 3", "BILLING", "nothing"]),
    (r"(?i)^new lead", ["New lead: Bob", "a new lead"]),
    (r"^\w+$", ["Größe", "two words", "x_1"]),
    (r"\d{3}", ["٣٤٥", "12", "a123"]),
    (r"\s", ["a\u00a0b", "ab", "a\u2028b"]),
    (r"[\w-]+@", ["jörg-x@", "@"]),
    (r"\bGröße\b", ["die Größe hier", "Größenordnung"]),
    (r"foo$", ["foo\n", "foo", "foo\nbar"]),
    (r"(?m)^bar$", ["foo\nbar\n", "bar baz"]),
    (r"a{,2}c", ["aac", "c", "a{,2}c"]),
    (r"(?i)straße", ["STRASSE", "Straße"]),
    (r"(a)\1", ["aa", "ab"]),
    (r"(?<!un)paid", ["paid", "unpaid"]),
    (r"[^\d]x", ["1x", "ax"]),
    (r"\u00e9t\u00e9", ["été", "ete"]),
    (r"x\Z", ["x", "x\n"]),
]


@pytest.mark.parametrize(("pattern", "texts"), CASES)
def test_same_meaning_as_python(pattern: str, texts: list[str]) -> None:
    compiled = owner_pattern(pattern)
    for text in texts:
        assert compiled.search(text) == bool(re.search(pattern, text)), (pattern, text, compiled.engine)


def test_the_shipped_kind_of_pattern_runs_on_re2() -> None:
    assert owner_pattern(r"(?i)invoice|bill").linear
    assert owner_pattern(r"^(a|aa)+$").linear  # RE2 takes it: linear whatever the text
    assert not owner_pattern(r"(a)\1").linear
    assert "ASCII" in owner_pattern(r"\bword\b").why


def _rule(tmp_path: Path, body: str) -> Rule:
    header = RuleHeader.model_validate({"when": {"body": body}, "may": ["ignore"]})
    return Rule(name="slow", path=tmp_path / "slow.md", header=header, instructions="")


def _event(text: str) -> Event:
    return Event(
        id="t:1", channel="local", kind="message", thread="t", sender="a@x.org",
        received_at=datetime.now(UTC), subject="s", text=text,
    )  # fmt: skip


def test_a_backtracking_pattern_does_not_stall_the_matcher(tmp_path: Path) -> None:
    """``^(a|aa)+$`` on 41 characters: 14.6 s in Python's re. The floor is the same
    search on a text of 20 characters, which backtracks too but finishes (measured here)."""
    book = Rulebook(owner=OwnerProfile(), rules=(_rule(tmp_path, r"^(a|aa)+$"),))
    started = time.perf_counter()
    re.search(r"^(a|aa)+$", "a" * 20 + "b")
    floor = time.perf_counter() - started
    started = time.perf_counter()
    assert select(book, _event("a" * 40 + "b")) == []
    took = time.perf_counter() - started
    # re: 2**20 times the floor's work (the alternation doubles per character).
    assert took < 1000 * max(floor, 1e-4)
    assert select(book, _event("a" * 40)) != []


def test_a_fallback_pattern_that_times_out_does_not_match_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    slow = r"^(a|aa)+(?<!b)$"  # the look-behind sends it to the backtracking engine
    assert not owner_pattern(slow).linear
    book = Rulebook(owner=OwnerProfile(), rules=(_rule(tmp_path, slow),))
    with caplog.at_level(logging.WARNING, logger="deputy.rules"):
        assert select(book, _event("a" * 60 + "b")) == []
        assert select(book, _event("a" * 61 + "b")) == []
    lines = [r.getMessage() for r in caplog.records if "limit" in r.getMessage()]
    assert len(lines) == 1 and "slow.md" in lines[0], lines
