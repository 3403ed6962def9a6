"""The trie alternation matches exactly what the flat, longest-first alternation matches:
checked on the word lists Deputy compiles and on seeded random lists and texts built to
share prefixes (the case the trie changes)."""

from __future__ import annotations

import random
import re

import pytest

from bot.alternation import alternation
from bot.facts import currency, money

_BOUNDED = r"(?<![A-Za-zÀ-ÿ])(?:{})(?![A-Za-zÀ-ÿ])"


def _flat(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _both(words: list[str], flags: int, template: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    fold = bool(flags & re.IGNORECASE)
    return (
        re.compile(template.format(_flat(words)), flags),
        re.compile(template.format(alternation(words, ignore_case=fold)), flags),
    )


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


TEXT = (
    "Total due: 1.840,00 EUR (Gesamtbetrag brutto), sub-total 1.546,22 euros; TOTALE 12 "
    "Amount Payable by 15 March. Balance due 20 USD, balances, totally, subtotals, ht, "
    "Montant TTC 99 €, à payer 5 francs, Fr. 12, SFr. 4, US$ 180 and 10 ILS or 10 ils."
)


@pytest.mark.parametrize("flags", [0, re.IGNORECASE])
def test_the_role_words_match_where_the_flat_list_does(flags: int) -> None:
    flat, trie = _both(list(money._ROLE_OF), flags, _BOUNDED)
    assert _spans(trie, TEXT) == _spans(flat, TEXT)
    assert _spans(trie, TEXT)  # the text holds role words: the comparison is not empty


def test_the_currency_marks_match_where_the_flat_list_does() -> None:
    marks = [*currency.SYMBOLS, *currency.CODES]
    flat, trie = _both(marks, 0, r"(?:{})")
    assert _spans(trie, TEXT) == _spans(flat, TEXT)
    assert [TEXT[s:e] for s, e in _spans(trie, TEXT)][:3] == ["EUR", "USD", "€"]


@pytest.mark.parametrize("seed", range(40))
def test_random_words_with_shared_prefixes(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = "abAB .ée"
    stems = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3))) for _ in range(4)]
    words = sorted(
        {
            rng.choice(stems) + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
            for _ in range(rng.randint(1, 25))
        }
        - {""}
    )
    text = "".join(rng.choice(alphabet + "xyz") for _ in range(400))
    for flags in (0, re.IGNORECASE):
        for template in ("(?:{})", _BOUNDED, "(?:{})(?=[ .])"):
            flat, trie = _both(words, flags, template)
            assert _spans(trie, text) == _spans(flat, text), (words, template, flags)


@pytest.mark.parametrize("words", [[], [""], ["", "ab"], ["a", ""]])
def test_the_empty_word_matches_as_in_the_flat_list(words: list[str]) -> None:
    flat, trie = _both(words, re.IGNORECASE, _BOUNDED)
    assert _spans(trie, "ab, a b") == _spans(flat, "ab, a b")
