"""Numbers written in words ("nine hundred", "neunhundert", "neuf cents", "novecientos",
"novecento") turned into digits by text2num, so the digit reader can take them.

text2num's ``alpha2digit`` is written in Rust and handles the compound forms of each
language (German "zweitausendfünfhundert", French "quatre-vingt-dix"); a hand-written
table would not. It is called only on lines that name a currency without digits, so its
cost stays off the common path.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.facts.number_words import may_hold
from bot.needles import skeleton

try:  # text2num is a dependency; a missing wheel must degrade to "no words", not crash.
    from text_to_num import alpha2digit as _alpha2digit
except ImportError:  # pragma: no cover
    _alpha2digit = None

LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "it")


def words_to_digits(line: str, language: str = "") -> Iterator[str]:
    """``line`` rewritten with digits, once per candidate language that changed it
    (the given language first)."""
    if _alpha2digit is None:
        return
    order = (
        (language, *(lang for lang in LANGUAGES if lang != language)) if language in LANGUAGES else LANGUAGES
    )
    line_skeleton = skeleton(line)
    for lang in order:
        if not may_hold(line_skeleton, lang):
            continue  # no number word of the language (bot.facts.number_words)
        try:
            converted = _alpha2digit(line, lang)
        except Exception:  # a library failure must never cost us the message
            continue
        if converted != line:
            yield converted
