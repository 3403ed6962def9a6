"""Regexes compiled with a guard on their first character.

A pattern that opens with a lookbehind or ``\\b`` (``(?<![A-Za-z])(?:due|payable\\sby|...)``)
gets no fast scan from Python's ``re``: at every position of the text the engine enters
the pattern and tries each alternative in turn. A lookahead on the characters a match
can start with (``(?=[dDpP...])``) ends that at the first comparison for nearly every
position: 3-5 times less time for the readers of facts and the gate on a real mail.

The set is read from the pattern itself (``re``'s own parser), so it cannot fall out of
step with the pattern: a zero-width item (lookaround, ``\\b``, ``^``) adds nothing, an
optional one adds its own first characters and those of what follows, and a pattern
whose start cannot be bounded this way (``.``, a negated class, an inline flag that
changes how characters compare other than IGNORECASE, a pattern that can match the empty string) is compiled
as written. The guard asserts only what every match starts with, so the matches, their
groups and their spans are the same.
"""

from __future__ import annotations

import re
import weakref
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any

# Inline flags that change what a character matches, besides IGNORECASE (whose groups
# get a class under the same flag): a group that sets one has first characters the
# guard would misjudge.
_OTHER_CHAR_FLAGS = sre.SRE_FLAG_LOCALE | sre.SRE_FLAG_ASCII | sre.SRE_FLAG_UNICODE
_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}
_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_GLOBAL_FLAGS = re.compile(r"\A\(\?[aiLmsux]+\)")
# Each guarded pattern's source as written, for the tests that compare the two. Weak:
# patterns compiled per rulebook (keywords, cached) must not live on after a reload.
ORIGINALS: weakref.WeakKeyDictionary[re.Pattern[str], tuple[str, int]] = weakref.WeakKeyDictionary()


class _Unbounded(Exception):
    """The first character of a match cannot be bounded by a class."""


def guarded(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, with a first-character guard where one can be
    read from the pattern."""
    parsed = parser.parse(pattern, flags)  # once: the guard's two questions read the same tree
    ops = list(parsed)
    guard = _class_of(ops) if _blind_start(ops) else None
    if guard is None:
        return re.compile(pattern, flags)
    body, all_flags = pattern, parsed.state.flags
    while (lead := _GLOBAL_FLAGS.match(body)) is not None:
        body = body[lead.end() :]  # carried by ``all_flags``: they must open a pattern
    close = "\n)" if all_flags & re.VERBOSE else ")"  # a verbose body may end in a comment
    result = re.compile(f"(?={guard})(?:{body}{close}", all_flags)
    ORIGINALS[result] = (pattern, flags)
    return result


def _blind_start(ops: list[tuple[Any, Any]]) -> bool:
    """Whether ``re`` scans for this pattern position by position: it finds a pattern
    that opens with a literal or a class by a fast scan of its own (a guard only slows
    that), and one anchored at the start (``^``, ``\\A``) is tried at the start alone
    (a guard in front would have it tried everywhere). A lookaround or ``\\b`` first,
    on any branch, leaves it blind."""
    if not ops:
        return False
    op, av = ops[0]
    if op is sre.AT:
        return av in (sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY)
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return True
    if op is sre.BRANCH:
        return any(_blind_start(list(branch)) for branch in av[1])
    if op is sre.SUBPATTERN:
        return _blind_start(list(av[3]))
    if op is sre.ATOMIC_GROUP:
        return _blind_start(list(av))
    if op in _REPEATS:
        return av[0] == 0 or _blind_start(list(av[2]))
    return False


def first_class(pattern: str, flags: int = 0) -> str | None:
    """A character class holding every character a match of ``pattern`` can start
    with, or None when there is none to give. Characters read inside a group that
    sets or clears IGNORECASE get a class of their own under that group's flag."""
    return _class_of(list(parser.parse(pattern, flags)))


def _class_of(ops: list[tuple[Any, Any]]) -> str | None:
    try:
        items, nullable = _sequence(ops, "")
    except _Unbounded:
        return None
    if nullable or not items:
        return None
    by_case: dict[str, list[str]] = {}
    for case, item in items:
        by_case.setdefault(case, []).append(item)
    classes = [
        f"(?{case}:[{''.join(dict.fromkeys(group))}])" if case else f"[{''.join(dict.fromkeys(group))}]"
        for case, group in by_case.items()
    ]
    return classes[0] if len(classes) == 1 else "(?:" + "|".join(classes) + ")"


Items = list[tuple[str, str]]  # (the case flag of the group it was read in: "", "i", "-i"; class item)


def _sequence(ops: list[tuple[Any, Any]], case: str) -> tuple[Items, bool]:
    """The class items a sequence can start with, and whether it can match nothing."""
    items: Items = []
    for op, av in ops:
        first, nullable = _one(op, av, case)
        items.extend(first)
        if not nullable:
            return items, False
    return items, True


def _one(op: Any, av: Any, case: str) -> tuple[Items, bool]:
    if op in _ZERO_WIDTH:
        return [], True
    if op is sre.LITERAL:
        return [(case, re.escape(chr(av)))], False
    if op is sre.IN:
        return [(case, item) for item in _in(av)], False
    if op is sre.BRANCH:
        items: Items = []
        nullable = False
        for branch in av[1]:
            first, empty = _sequence(list(branch), case)
            items.extend(first)
            nullable = nullable or empty
        return items, nullable
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        if (add_flags | del_flags) & _OTHER_CHAR_FLAGS:
            raise _Unbounded
        if add_flags & sre.SRE_FLAG_IGNORECASE:
            case = "i"
        elif del_flags & sre.SRE_FLAG_IGNORECASE:
            case = "-i"
        return _sequence(list(sub), case)
    if op is sre.ATOMIC_GROUP:
        return _sequence(list(av), case)
    if op in _REPEATS:
        low, _high, sub = av
        first, empty = _sequence(list(sub), case)
        return first, empty or low == 0
    raise _Unbounded  # ANY, NOT_LITERAL, group references, conditionals


def _in(members: list[tuple[Any, Any]]) -> list[str]:
    items: list[str] = []
    for op, av in members:
        if op is sre.LITERAL:
            items.append(re.escape(chr(av)))
        elif op is sre.RANGE:
            items.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is sre.CATEGORY and av in _CATEGORIES:
            items.append(_CATEGORIES[av])
        else:
            raise _Unbounded  # NEGATE, and the rarer categories
    return items
