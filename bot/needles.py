"""Cheap pre-checks before an expensive case-insensitive regex: a word the regex cannot
match without, looked for with ``str.__contains__`` (a C substring search) instead of
the regex engine trying every alternative at every position of the text.

A pre-check only ever skips a regex that could not have matched: every alternative of
the regex must contain one of its needle groups literally, all of a group's needles
must be in the text for that alternative to match, and the text is compared the way
``re.IGNORECASE`` compares it. Python's ``re`` folds case with the simple Unicode
mapping plus a few extra equivalences (``sre_compile._equivalences``): dotless ``ı``
and ``İ`` are ``i``, long ``ſ`` is ``s``, Kelvin ``K`` is ``k``. ``str.lower()`` uses the
full mapping, which differs from the simple one only for ``İ`` (SpecialCasing.txt), so
those three are mapped first (``skeleton``); the Kelvin sign already lowers to ``k``.
"""

from __future__ import annotations

_SRE_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})

Needles = tuple[tuple[str, ...], ...]  # any group whose every needle is in the text


def skeleton(text: str) -> str:
    """``text`` as ``re.IGNORECASE`` sees it, for lower-case ASCII needles."""
    if text.isascii():
        return text.lower()
    return text.translate(_SRE_FOLDS).lower()


def may_match(needles: Needles, text_skeleton: str) -> bool:
    """False only when no group of ``needles`` is wholly in the text: the regex they
    guard cannot match, so it need not run. (Plain loops: this runs on every reply.)"""
    for group in needles:
        for needle in group:
            if needle not in text_skeleton:
                break
        else:
            return True
    return False
