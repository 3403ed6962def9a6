"""Which languages' number words a text can hold, so that text2num's ``alpha2digit``
runs only for a language it could change the text in.

``alpha2digit`` rewrites a run of number words; every run holds at least one word of
the language's number vocabulary (connectors such as "and", "y", "et", "point" or "un"
alone are never rewritten). Each needle below is a piece of such words, and every
number word of the language contains one, in the case ``bot.needles.skeleton`` gives
it: "zwei" covers "zweitausendfünfhundert", "illion" covers "million" and "billion",
"ssig" covers "dreissig". A text holding none of a language's needles is returned by
``alpha2digit`` unchanged, so the pass is skipped. tests/facts/test_number_words.py
checks this against ``alpha2digit`` itself: every number num2words writes up to 2,000,
their ordinals, large ones and regional forms, and every text of the corpora.
"""

from __future__ import annotations

from bot.needles import CHECK_LIMIT

NEEDLES: dict[str, tuple[str, ...]] = {
    "en": (
        *("zero", "one", "two", "thr", "four", "for", "fiv", "fif", "six", "sev", "eigh", "nin"),
        *("ten", "elev", "twel", "twen", "thir", "hundred", "thousand", "illion", "first", "second"),
    ),
    "de": (
        *("null", "ein", "zwei", "zwo", "drei", "drit", "vier", "fünf", "funf", "fuenf", "sech"),
        *("sieb", "acht", "neun", "zehn", "elf", "zwölf", "zwolf", "zwoelf", "zwan", "ßig", "ssig"),
        *("hundert", "tausend", "illion", "illiard", "erst"),
    ),
    "fr": (
        *("zéro", "zero", "un", "deux", "trois", "quatr", "quato", "quar", "cinq", "six", "sept", "huit"),
        *("neuf", "neuv", "dix", "onz", "douz", "treiz", "quinz", "seiz", "vingt", "trent"),
        *("soixant", "septant", "huitant", "octant", "nonant", "cent", "mil", "premi", "second"),
        *("tiers",),
    ),
    "es": (
        *("cero", "un", "dos", "tres", "cuatr", "cuar", "cinc", "seis", "sei", "siet", "sept"),
        *("ocho", "och", "nuev", "nove", "diez", "dieci", "once", "doce", "trece", "cator", "quinc"),
        *("veint", "trein", "sesent", "setent", "sete", "novent", "cien", "cent", "quinient"),
        *("mil", "primer", "segund", "tercer", "quint", "sext", "séptim", "septim", "octav"),
        *("noven", "décim", "decim", "ésim", "esim"),
    ),
}


def may_hold(text_skeleton: str, language: str) -> bool:
    """False only when ``alpha2digit(text, language)`` would return the text unchanged:
    no needle of the language is in it. ``text_skeleton`` is ``skeleton(text)``; a long
    text, or a language without needles, always "may"."""
    needles = NEEDLES.get(language)
    if needles is None or len(text_skeleton) > CHECK_LIMIT:
        return True
    for needle in needles:  # a loop, not any(): this runs on every reply
        if needle in text_skeleton:
            return True
    return False
