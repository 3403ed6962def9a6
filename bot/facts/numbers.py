"""Numbers as people write them: "1.840,00", "1,840.00", "1 840,00", "1'840.00", "1.840,-",
"0.0042", and magnitudes ("5k", "1.5 million", "2 Mio.", "1,2 Mrd.").

Parsed by a small hand-written reader rather than one big regex: a single pattern that
knows every local convention needs nested quantifiers, which backtrack badly on hostile
input, and it cannot say "15.03.2027 is not a number". The reader sees one run of digits
and separators at a time, decides which separator is the decimal mark, and refuses runs
that fit no convention (dates, IP addresses, version numbers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.alternation import alternation
from bot.first_char import guarded

# One run of digits and in-number separators; spaces are handled by the reader (a
# French or Swiss "1 840,00" is two runs joined when the second is a 3-digit group).
_RUN = guarded(r"\d[\d.,'’]{0,40}")
_MAX_DIGITS = 18
_LEAD = guarded(r"\d+")


@dataclass(frozen=True, slots=True)
class Number:
    value: Decimal
    start: int
    end: int


def numbers(text: str, start: int = 0, end: int | None = None) -> Iterator[Number]:
    """Every number in ``text[start:end]`` with its span; runs that fit no local
    convention (``15.03.2027``) are skipped whole."""
    stop = len(text) if end is None else end
    pos = start
    while True:
        match = _RUN.search(text, pos, stop)
        if match is None:
            return
        s, e = match.span()
        before = text[s - 1] if s > 0 else " "
        if before.isalnum() or before in "._/" or (before == "-" and s > 1 and text[s - 2].isalpha()):
            pos = _skip_token(text, e, stop)  # part of a token: "INV-2027", "v1.2", "A4711"
            continue
        run = match.group().rstrip(".,'’")
        e = s + len(run)
        if len(run) <= 3 and run.isdigit():
            # Joined by single spaces: "1 840,00", "12 500" (each further group exactly 3).
            while e < stop and text[e] == " ":
                nxt = _RUN.match(text, e + 1, stop)
                if nxt is None:
                    break
                tail = nxt.group().rstrip(".,'’")
                lead = _LEAD.match(tail)
                if lead is None or len(lead.group()) != 3:
                    break
                run += tail
                e += 1 + len(tail)
                if len(tail) != 3:
                    break  # a decimal part or a separator ended the number
        if e + 1 < stop and text[e] == "," and text[e + 1] in "-–":
            e += 3 if text[e + 2 : e + 3] == "-" else 2  # "1.840,-" / "1.840,--"
        if e < stop and text[e] in "_/":
            pos = _skip_token(text, e, stop)  # "2027/03", "12_000"
            continue
        value = parse(run)
        if value is not None:
            yield Number(value, s, e)
        pos = max(e, s + 1)


def _skip_token(text: str, pos: int, stop: int) -> int:
    while pos < stop and not text[pos].isspace():
        pos += 1
    return pos


def parse(run: str) -> Decimal | None:
    """One run of digits and separators (no surrounding text) as a Decimal, or None."""
    run = run.replace(" ", "")
    if not run or sum(c.isdigit() for c in run) > _MAX_DIGITS:
        return None
    if run.isdigit():
        return Decimal(run)
    groups = re.split(r"[.,'’]", run)
    seps = [c for c in run if not c.isdigit()]
    if any(not g for g in groups):
        return None  # "1..2", "1,,5"
    last_sep, last_group = seps[-1], groups[-1]
    if last_sep in ".," and (len(last_group) != 3 or (len(seps) == 1 and groups[0] == "0")):
        decimal_mark: str | None = last_sep
        int_groups, int_seps = groups[:-1], seps[:-1]
    elif len(seps) > 1 and last_sep in ".," and len(set(seps)) > 1:
        decimal_mark = last_sep  # "1,234.567": the odd one out is the decimal mark
        int_groups, int_seps = groups[:-1], seps[:-1]
    else:
        decimal_mark = None
        int_groups, int_seps = groups, seps
    if int_seps:
        if len(set(int_seps)) > 1 or int_seps[0] == decimal_mark:
            return None
        if not 1 <= len(int_groups[0]) <= 3 or any(len(g) != 3 for g in int_groups[1:]):
            return None
    digits = "".join(int_groups)
    if decimal_mark is not None:
        digits += "." + groups[-1]
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


# Magnitude words and letters after a number: "5k", "1.5 million", "2 Mio.", "3bn".
_THOUSAND = Decimal(1000)
MAGNITUDES: dict[str, Decimal] = {
    **dict.fromkeys(("k", "thousand", "tsd", "tausend", "mille", "mil"), _THOUSAND),
    **dict.fromkeys(
        ("m", "mn", "mio", "million", "millions", "millionen", "millones", "millón", "milioni", "milione"),
        _THOUSAND**2,
    ),
    **dict.fromkeys(
        ("b", "bn", "mrd", "billion", "billions", "milliarde", "milliarden", "milliard", "milliards"),
        _THOUSAND**3,
    ),
    "miliardi": _THOUSAND**3,
    "miliardo": _THOUSAND**3,
}
_WORDS = sorted((w for w in MAGNITUDES if len(w) > 1), key=len, reverse=True)
# Words may follow a space ("1.5 million"); single letters must touch the number ("5k").
MAGNITUDE_RE = guarded(
    r"(?:[ ]?(?P<word>"
    + alternation(_WORDS, ignore_case=True)
    + r")\.?|(?P<letter>[kKmMbB]))(?![A-Za-zÀ-ÿ])",
    re.IGNORECASE,
)


def magnitude(text: str, pos: int) -> tuple[Decimal, int]:
    """The multiplier written at ``pos`` (1 when none) and where it ends."""
    match = MAGNITUDE_RE.match(text, pos)
    if match is None:
        return Decimal(1), pos
    word = (match.group("word") or match.group("letter") or "").lower()
    return MAGNITUDES.get(word, Decimal(1)), match.end()
