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
``İ`` is mapped first and ``ı``, ``ſ`` (which ``lower()`` keeps) after (``skeleton``);
the Kelvin sign already lowers to ``k``.
"""

from __future__ import annotations

Needles = tuple[tuple[str, ...], ...]  # any group whose every needle is in the text

# Past this length the pre-check is not made (``may_match`` says "may"): on a long text
# the needles' own passes (one per needle) cost about what the regex saves, and a
# large mail must not pay for both.
CHECK_LIMIT = 20_000


def skeleton(text: str) -> str:
    """``text`` as ``re.IGNORECASE`` sees it, for lower-case needles (a long text is
    returned as it is: ``may_match`` does not look at it)."""
    if len(text) > CHECK_LIMIT:
        return text
    if text.isascii():
        return text.lower()
    if "\u0130" in text:
        text = text.replace("\u0130", "i")
    low = text.lower()
    if "\u0131" in low:
        low = low.replace("\u0131", "i")
    if "\u017f" in low:
        low = low.replace("\u017f", "s")
    return low


def may_match(needles: Needles, text_skeleton: str) -> bool:
    """False only when no group of ``needles`` is wholly in the text: the regex they
    guard cannot match, so it need not run. (Plain loops: this runs on every reply.)"""
    if len(text_skeleton) > CHECK_LIMIT:
        return True
    for group in needles:
        for needle in group:
            if needle not in text_skeleton:
                break
        else:
            return True
    return False
