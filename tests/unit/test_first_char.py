"""A first-character guard never changes what a pattern matches: every module-level
pattern in ``bot`` and ``connectors``, compiled with and without its guard, gives the
same matches (spans and groups) on the test corpora's texts (the outcome corpus, the
facts corpus, the red-team cases, the .eml files) and on seeded noise."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import random
import re
from functools import cache
from pathlib import Path

import pytest

import bot
import connectors
from bot.first_char import ORIGINALS, first_class, guarded

TESTS = Path(__file__).resolve().parents[1]
SOURCES = ("corpus/messages.py", "corpus/messages_judgment.py", "facts/corpus.py", "redteam/cases.py")


@cache
def texts() -> tuple[str, ...]:
    found: list[str] = []
    for name in SOURCES:
        tree = ast.parse((TESTS / name).read_text(encoding="utf-8"))
        found.extend(
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 15
        )
    for eml in sorted((TESTS / "email" / "corpus").glob("*.eml"))[:60]:
        found.append(eml.read_bytes()[:20_000].decode("utf-8", "replace"))
    rng = random.Random(7)
    alphabet = "aAeEiIdDpPtT0123456789 .,:;-/€$£\n'’äöüéàçß"
    found.extend("".join(rng.choice(alphabet) for _ in range(300)) for _ in range(20))
    return tuple(found)


@cache
def patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    found: dict[tuple[str, int], tuple[str, re.Pattern[str]]] = {}
    for package in (bot, connectors):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            try:
                loaded = importlib.import_module(module.name)
            except ImportError:  # an optional extra that is not installed here
                continue
            for name, value in vars(loaded).items():
                if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                    # A guarded pattern is compared from its source as written.
                    source, flags = ORIGINALS.get(value, (value.pattern, value.flags))
                    found.setdefault((source, flags), (f"{module.name}.{name}", re.compile(source, flags)))
    return tuple(found.values())


def _matches(pattern: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for m in pattern.finditer(text)]


def test_most_patterns_get_a_guard() -> None:
    guardable = [name for name, p in patterns() if first_class(p.pattern, p.flags) is not None]
    assert len(patterns()) > 100
    assert len(guardable) > len(patterns()) // 2, guardable


@pytest.mark.parametrize("index", range(8))
def test_a_guard_changes_no_match(index: int) -> None:
    for name, plain in patterns()[index::8]:
        plain = re.compile(plain.pattern, plain.flags)
        guard = guarded(plain.pattern, plain.flags)
        assert guard.groupindex == plain.groupindex, name
        for text in texts():
            assert _matches(guard, text) == _matches(plain, text), (name, text[:80])
            assert _matches(guard, text.upper()) == _matches(plain, text.upper()), (name, text[:80])


@pytest.mark.parametrize(
    ("pattern", "flags", "expected"),
    [
        (r"(?<![a-z])(?:due|payable)\b", 0, "[dp]"),
        (r"[ ]?(?:EUR|€)", 0, r"[\ E€]"),
        (r"(?i)\b(?:not|n't)", 0, "[n]"),
        (r"(?x) \d+ \s? (?:k|m) # a comment", 0, r"[\d]"),
        (r"a?", 0, None),  # matches the empty string: no first character to ask for
        (r".x", 0, None),
        (r"[^a]b", 0, None),
        (r"(?i:A)|b", 0, "(?:(?i:[A])|[b])"),  # a group with its own case: its own class
        (r"(?a:x)", 0, None),  # a group that changes what \w and the case folding mean
    ],
)
def test_the_class_is_read_from_the_pattern(pattern: str, flags: int, expected: str | None) -> None:
    assert first_class(pattern, flags) == expected


def test_a_verbose_pattern_that_ends_in_a_comment_keeps_its_closing_group() -> None:
    guard = guarded("(?x) due | payable  # the words", re.IGNORECASE)
    assert [m.group() for m in guard.finditer("Due, PAYABLE, overdue")] == ["Due", "PAYABLE", "due"]


@pytest.mark.parametrize("pattern", [r"\d", r"[\r\n]", r"Subject:", r"^(?:a|b)c", r"\A\s*x"])
def test_a_pattern_re_scans_fast_on_its_own_is_left_as_written(pattern: str) -> None:
    """``re`` finds a leading literal or class by a fast scan and tries an anchored
    pattern at the start alone: a guard in front would only slow them."""
    assert guarded(pattern).pattern == pattern


def test_a_pattern_that_opens_with_a_lookbehind_is_guarded() -> None:
    assert guarded(r"(?<![a-z])(?:due|payable)").pattern.startswith("(?=[dp])")


def test_a_guarded_pattern_nobody_holds_is_not_kept() -> None:
    """Rule keywords are compiled per rulebook: a reload must not leave the old ones."""
    import gc
    import weakref

    pattern = guarded(r"(?<!\w)(?:zzq-unique-word)(?!\w)")
    assert ORIGINALS[pattern] == (r"(?<!\w)(?:zzq-unique-word)(?!\w)", 0)
    ref = weakref.ref(pattern)
    del pattern
    re.purge()  # re's own cache of compiled patterns (bounded) holds it too
    gc.collect()
    assert ref() is None
