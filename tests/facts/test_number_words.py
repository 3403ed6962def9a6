"""The number-word needles skip an ``alpha2digit`` pass only where it changes nothing.

Checked against text2num itself: every number num2words writes from 0 to 2,000 and a
range of large ones, their ordinals, in upper and title case, without accents, inside a
sentence and repeated, regional forms num2words does not write, and every string of
the gate, red-team, corpus and facts tests. Wherever ``alpha2digit`` changes a text,
``may_hold`` must say so.
"""

from __future__ import annotations

import unicodedata

import pytest
from num2words import num2words
from text_to_num import alpha2digit

from bot.facts.number_words import NEEDLES, may_hold
from bot.gate import textscan
from bot.needles import CHECK_LIMIT, skeleton
from tests.gate.test_needles import TEXTS

LANGUAGES = tuple(NEEDLES)
# Forms text2num reads that num2words does not write (Belgian and Swiss French,
# German "zwo", spellings without ß or umlauts, common misspellings).
REGIONAL = {
    "en": ["fourty two", "ninty nine", "a hundred and five", "two dozen and one", "one point five"],
    "de": ["zwo", "zwoundzwanzig", "dreissig", "fuenf", "zwoelf", "einhundert", "hunderttausend"],
    "fr": ["septante", "huitante", "octante", "nonante", "septante-deux", "quatre-vingts", "mille"],
    "es": ["veintiún", "veintiun", "dieciseis", "ciento uno", "un millon", "setecientos"],
}


def _numbers() -> list[int]:
    return [*range(2001), *(m * 10**k for k in range(3, 13) for m in (1, 2, 5, 21, 99, 350))]


def _phrases(language: str) -> list[str]:
    out = list(REGIONAL[language])
    for n in _numbers():
        out.append(num2words(n, lang=language))
        if n <= 1000 or n % 1000 == 0:
            out.append(num2words(n, lang=language, to="ordinal"))
    return out


def _forms(phrase: str) -> set[str]:
    plain = unicodedata.normalize("NFKD", phrase).encode("ascii", "ignore").decode()
    out = set()
    for form in (phrase, phrase.upper(), phrase.title(), plain):
        out.update((form, f"We pay {form} euros now.", f"{form} {form}", f"{form} and {form}"))
    return out


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_number_text2num_rewrites_holds_a_needle(language: str) -> None:
    rewritten = 0
    for phrase in _phrases(language):
        for text in _forms(phrase):
            if alpha2digit(text, language) != text:
                rewritten += 1
                assert may_hold(skeleton(text), language), (language, text)
    assert rewritten > 8000  # the check reached the numbers, not only texts left alone


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_corpus_text_is_skipped_where_text2num_would_change_it(language: str) -> None:
    skipped = 0
    for text in TEXTS:
        if not may_hold(skeleton(text), language):
            skipped += 1
            assert alpha2digit(text, language) == text, (language, text)
    assert skipped > 50  # the needles do skip ordinary text


def _money_view_unguarded(text: str) -> str:
    """``textscan.money_view`` as it was before the needles: every language's pass."""
    import re

    view = unicodedata.normalize("NFKC", textscan.rewrite(text))
    view = textscan._magnitudes(view)
    for lang in textscan._WORD_LANGS:
        view = alpha2digit(view, lang)
    return re.sub(textscan._ELIDED, " ", textscan._magnitudes(view))


def test_the_money_view_reads_every_corpus_text_as_without_the_needles() -> None:
    for text in TEXTS:
        assert textscan.money_view(text) == _money_view_unguarded(text), text


def test_a_long_text_or_an_unlisted_language_always_may() -> None:
    assert may_hold("x" * (CHECK_LIMIT + 1), "en")
    assert may_hold("nothing here", "it")
    assert not may_hold(skeleton("Best regards, Alex"), "en")
    assert may_hold(skeleton("NEUNHUNDERT Euro"), "de")
