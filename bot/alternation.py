"""A regex alternation of literal words, factored into a trie.

Python's ``re`` tries the branches of ``amount due|balance due|total|...`` one after
another at every position of the text: a list of 150 role words costs 150 failed
comparisons per character. The same words as a trie (``amount\\ due|balance(?:\\ due)?|
t(?:otal|...)``) fail at the first character that no word continues, so a scan costs
about one comparison per character whatever the length of the list.

The trie matches exactly what the flat alternation, longest word first, matches: at a
given position the words that match are prefixes of one another (siblings in the trie
start with different characters, folded when the pattern is case-insensitive), and each
optional tail is greedy, so the longest is tried first and a shorter one only when what
follows the alternation fails (a lookahead), as with the flat list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_END = ""


def _fold(ch: str) -> str:
    """How ``re.IGNORECASE`` sees ``ch``, for the characters whose lower case is one
    character (``İ`` lowers to two and is left as written)."""
    low = ch.lower()
    return low if len(low) == 1 else ch


def alternation(words: Iterable[str], *, ignore_case: bool = False) -> str:
    """A pattern (no group of its own: wrap it in ``(?:...)``) that matches any of
    ``words`` literally, longest first. ``ignore_case`` must be true when the pattern is
    compiled case-insensitively: it merges branches that differ only in case. The empty
    word, as in a flat list, lets the alternation match nothing."""
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(_fold(ch) if ignore_case else ch, {})
        node[_END] = {}
    return _emit(root)  # no words, or only "": "", which matches the empty string as "|".join does


def _emit(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
    branches = [re.escape(ch) + _emit(child) for ch, child in sorted(node.items()) if ch != _END]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END not in node:
        return body
    return (body if len(branches) > 1 else "(?:" + body + ")") + "?"
