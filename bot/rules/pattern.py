"""An owner-written regular expression, matched without letting it stall the daemon.

Rules say ``when.subject = "(?i)invoice|bill"``: Python's ``re`` syntax, searched. Python's
engine backtracks, so a pattern like ``^(a|aa)+$`` takes exponential time: 14.6 s on a
41-character body, with the event loop stopped. Two engines, chosen per pattern:

- RE2 (``google-re2``), linear in the text by construction, for every pattern it can
  express. It has no per-match cost beyond the match itself and needs no time limit. Its
  ``\\d``, ``\\w`` and ``\\s`` are ASCII-only, so they are rewritten to the Unicode
  classes Python uses; ``$`` before a final newline is searched for as Python does.
- The ``regex`` module, with ``timeout=``, for what RE2 cannot express the same way
  (back-references, look-around, ``\\b`` next to non-ASCII letters, verbose mode). Its
  default (VERSION0) syntax is Python's. A search that runs out of time counts as not
  matching and is logged once per pattern and rule file; ``deputy check`` names these
  patterns beforehand.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import re2
import regex

log = logging.getLogger("deputy.rules")

TIME_LIMIT_SECONDS = 0.05  # per search on the fallback engine: a stall of at most this

# Python's \s for str patterns (str.isspace): ASCII whitespace, \x1c-\x1f, NEL and the
# Unicode separators (Zs, Zl, Zp).
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f\x85\p{Z}"
_WORD = r"\p{L}\p{N}_"  # Python's \w: str.isalnum() or "_"
_OUTSIDE = {
    "d": r"\p{Nd}",
    "D": r"\P{Nd}",
    "w": f"[{_WORD}]",
    "W": f"[^{_WORD}]",
    "s": f"[{_SPACE}]",
    "S": f"[^{_SPACE}]",
    "Z": r"\z",  # Python's \Z is the very end of the text: RE2 spells it \z
}
_INSIDE = {"d": r"\p{Nd}", "D": r"\P{Nd}", "w": _WORD, "s": _SPACE}
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_ASCII_ONLY_IN_RE2 = {"b": "\\b (a word boundary) next to non-ASCII letters", "B": "\\B"}

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a pattern RE2 refuses goes to the fallback, quietly


class _Untranslatable(Exception):
    pass


@dataclass(frozen=True, slots=True)
class OwnerPattern:
    text: str
    engine: Literal["re2", "backtracking"]
    why: str  # why the fallback engine is used; "" on RE2
    _compiled: Any

    @property
    def linear(self) -> bool:
        return self.engine == "re2"

    def search(self, haystack: str, *, source: str = "") -> bool:
        """True when the pattern occurs in ``haystack``; a search past the time limit is
        False, logged once for this pattern and ``source`` (the rule file)."""
        if self.engine == "re2":
            if self._compiled.search(haystack) is not None:
                return True
            # Python's $ also matches before a newline that ends the text; RE2's only at
            # the very end. A match in the text less that newline is a Python match.
            return "$" in self.text and haystack.endswith("\n") and bool(self._compiled.search(haystack[:-1]))
        try:
            return self._compiled.search(haystack, timeout=TIME_LIMIT_SECONDS) is not None
        except TimeoutError:
            _timed_out(self.text, source)
            return False


@lru_cache(maxsize=4096)
def owner_pattern(text: str) -> OwnerPattern:
    """Compile once per pattern text. Raises ``ValueError`` for a pattern Python's ``re``
    refuses too (the rule loader checks that first and names the file)."""
    try:
        translated = _for_re2(text)
        return OwnerPattern(text, "re2", "", re2.compile(translated, _OPTIONS))
    except _Untranslatable as exc:
        why = str(exc)
    except re2.error as exc:
        why = _re2_reason(exc)
    try:
        compiled = regex.compile(text)
    except regex.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return OwnerPattern(text, "backtracking", why, compiled)


def _for_re2(text: str) -> str:
    """Python syntax -> RE2 syntax with Python's meaning, or ``_Untranslatable``."""
    out: list[str] = []
    in_class = False
    class_start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            table = _INSIDE if in_class else _OUTSIDE
            if nxt in table:
                out.append(table[nxt])
            elif nxt in _ASCII_ONLY_IN_RE2 and not in_class:
                raise _Untranslatable(f"uses {_ASCII_ONLY_IN_RE2[nxt]}, which RE2 knows for ASCII only")
            elif in_class and nxt in "WS":
                raise _Untranslatable(f"uses \\{nxt} inside a character class")
            elif nxt == "u" and _HEX4.fullmatch(text[i + 2 : i + 6]):
                out.append("\\x{" + text[i + 2 : i + 6] + "}")  # Python's \uXXXX is RE2's \x{XXXX}
                i += 6
                continue
            else:
                out.append(text[i : i + 2])
            i += 2
            continue
        if in_class:
            # A "]" right after "[" or "[^" is a literal member, not the end.
            if ch == "]" and i > class_start:
                in_class = False
            out.append(ch)
        elif ch == "[":
            in_class = True
            class_start = i + 1 + (1 if text[i + 1 : i + 2] == "^" else 0)
            out.append(ch)
        elif ch == "{" and text[i + 1 : i + 2] == ",":
            out.append("{0")  # Python reads x{,3} as x{0,3}; RE2 would read it literally
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _re2_reason(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else exc
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return f"RE2 cannot run it ({detail})"


_logged: set[tuple[str, str]] = set()


def _timed_out(text: str, source: str) -> None:
    if (text, source) in _logged:
        return
    _logged.add((text, source))
    log.warning(
        "%s: pattern %r ran past its %.0f ms limit and counts as not matching; "
        "it backtracks: rewrite it (deputy check lists such patterns)",
        source or "a rule",
        text,
        TIME_LIMIT_SECONDS * 1000,
    )
