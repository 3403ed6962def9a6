"""Text scanners the policy gate and the agent share: money, links, addresses, numbers,
and claims of authority inside untrusted text.

Heuristics by nature (see the known gaps in the issue notes), kept in one place so that
the gate, the negotiation plan and the digest read text the same way.
"""

from __future__ import annotations

import re

URL_RE = re.compile(
    r"""(?ix)
    \b(?:https?|ftp|file|data|javascript|mailto):[^\s<>"')\]]+   # any scheme
    | \bwww\.[^\s<>"')\]]+
    | \b(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|info|biz|ru|cn|xyz|top|app|dev|me|ly|gl|sh|to|
         link|click|site|online|shop|page|cc|tk|ml|ga|cf|gq|pw|ws|su|zip|mov|eu|de|uk|fr|example)
      (?::\d+)?/[^\s<>"')\]]*                                      # bare domain with a path
    | \b(?:[a-z0-9-]+\.)+(?:ru|cn|xyz|top|click|tk|ml|ga|cf|gq|pw|zip|mov|link|site|online)\b
    """
)
CURRENCY_WORDS: tuple[str, ...] = (
    *("€", "$", "£", "EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD"),
    *("euros", "euro", "dollars", "dollar", "pounds", "pound"),
)
PAY_WORDS: tuple[str, ...] = (
    *("pay", "paid", "payment", "transfer", "wire", "refund", "owe", "price", "cost"),
    *("total", "amount", "sum"),
)
_CUR = "(?:" + "|".join(re.escape(w) for w in CURRENCY_WORDS) + ")"
_NUM = r"\d{1,3}(?:[ ,.'’]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
AMOUNT_RE = re.compile(rf"(?i)(?:(?P<ca>{_CUR})\s?(?P<a>{_NUM}))|(?:(?P<b>{_NUM})\s?(?P<cb>{_CUR})(?![a-z]))")
# A number right after a payment word is money even without a currency.
PAY_RE = re.compile(
    rf"(?i)\b(?:{'|'.join(PAY_WORDS)})\w*"
    rf"(?:\s+(?:of|is|at|you|them|him|her|us|the|a|an|to|in|for|by|today|now|full)){{0,4}}"
    rf"\s+(?P<n>{_NUM})\b(?!\s?(?:%|{_CUR}))"
)
BARE_NUM_RE = re.compile(rf"(?<![\w.,])(?:{_NUM})(?![\w])")
_DIGIT = re.compile(r"\d")
HEADER_UNSAFE = re.compile(r"[\r\n\x00\u2028\u2029\x85]")
ADDRESS_RE = re.compile(r"(?i)\b[a-z0-9._%+\-]+@(?:[a-z0-9-]+\.)+[a-z]{2,}\b")
PLAIN_ADDRESS_RE = re.compile(r"(?i)[a-z0-9._%+\-]+@(?:[a-z0-9-]+\.)+[a-z]{2,}")
_CURRENCY_CODES = {
    "€": "EUR",
    "$": "USD",
    "£": "GBP",
    "euro": "EUR",
    "euros": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "pound": "GBP",
    "pounds": "GBP",
}
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff\u00ad_\-.]+")
AUTHORITY_RE = re.compile(
    r"""(?ix)
    \b(?:owner|boss|admin|administrator|deputy|assistant|manager)\b[^.]{0,60}
      \b(?:authori[sz]|approv|permit|allow|trust|grant|said|wants|instruct)
    | \b(?:authori[sz]ed|approved|permitted|allowed|trusted|whitelisted|verified)\b[^.]{0,30}
      \b(?:to|sender|contact|recipient|party|by)\b
    | ignore\s+(?:all\s+|any\s+)?(?:previous|prior|earlier|above|your)\b
    | \b(?:always|from\s+now\s+on|in\s+future|henceforth|going\s+forward)\b[^.]{0,40}
      \b(?:forward|send|reply|pay|cc|bcc|copy|share|transfer|accept|approve|offer)
    | \b(?:new|updated?|change[sd]?)\s+(?:rule|mandate|policy|limit|instructions?|walk.?away)
    | \b(?:rule|mandate|policy|limit|walk.?away)s?\s+(?:is|are|was|were|has|have)\s+
      (?:now|been|changed|updated)
    | \bsystem\s+prompt\b | \ballow.?list\b | \bwhite.?list\b
    | \b(?:iban|swift|bic|bank\s+(?:details|account)|account\s+number|routing\s+number)\b
    """
)


def _currency_code(raw: str | None) -> str:
    if not raw:
        return ""
    return _CURRENCY_CODES.get(raw.lower(), raw.upper())


def _parse_number(raw: str) -> float | None:
    raw = raw.replace(" ", "").replace("'", "").replace("’", "")
    # "1.234,56" / "1,234.56" / "450" / "450,00": the last separator followed by one or
    # two digits is the decimal mark; the others group thousands.
    m = re.fullmatch(r"(.*?)[.,](\d{1,2})", raw)
    whole, cents = (m[1], m[2]) if m else (raw, "0")
    whole = re.sub(r"[.,]", "", whole)
    try:
        return float(f"{whole}.{cents}")
    except ValueError:
        return None


def money_in(text: str) -> list[tuple[float, str]]:
    """Money in a text as (amount, ISO currency or "" when only a payment word marks it)."""
    found: list[tuple[float, str]] = []
    currency, pay_word = _hints(text)
    spans: list[tuple[int, int]] = []
    for match in AMOUNT_RE.finditer(text) if currency else ():
        value = _parse_number(match["a"] or match["b"] or "")
        if value is not None:
            found.append((value, _currency_code(match["ca"] or match["cb"])))
            spans.append(match.span())
    for match in PAY_RE.finditer(text) if pay_word else ():
        start = match.start("n")
        if any(a <= start < b for a, b in spans):
            continue
        value = _parse_number(match["n"])
        if value is not None:
            found.append((value, ""))
    return found


_CURRENCY_HINTS = tuple({w.casefold() for w in CURRENCY_WORDS})
_PAY_HINTS = tuple({w.casefold() for w in PAY_WORDS})


def _hints(text: str) -> tuple[bool, bool]:
    """A cheap test that lets most texts skip the money regexes (issue 3: they were the
    largest single cost per event): whether the text can hold an amount with a currency,
    and one after a payment word. Both need a digit. The test must find whatever the
    (?i) regexes can match: casefold() agrees with re's case-insensitive matching on
    every letter of those words except the dotless i, which re matches as "i"
    (tests/core/test_textscan.py checks this)."""
    if not _DIGIT.search(text):
        return False, False
    folded = text.casefold().replace("\u0131", "i")
    return any(h in folded for h in _CURRENCY_HINTS), any(h in folded for h in _PAY_HINTS)


def amounts_in(text: str) -> list[float]:
    """Money amounts written in a text, with a currency sign or code next to them."""
    return [amount for amount, currency in money_in(text) if currency]


def bare_numbers_in(text: str) -> list[float]:
    """Every number of two or more digits: in an offer's text, each one could be a price."""
    out: list[float] = []
    for match in BARE_NUM_RE.finditer(text):
        value = _parse_number(match[0])
        if value is not None and value >= 10:
            out.append(value)
    return out


def links_in(text: str) -> set[str]:
    """Every link-like thing in a text. No alternative of URL_RE matches whitespace, so
    each match lies inside one whitespace-separated word, and each needs a "." or a ":";
    scanning only such words finds the same links in a quarter of the time (issue 3;
    tests/core/test_textscan.py compares it with a scan of the whole text)."""
    return {
        u.rstrip(".,;:!?").lower()
        for word in text.split()
        if "." in word or ":" in word
        for u in URL_RE.findall(word)
    }


def addresses_in(text: str) -> frozenset[str]:
    if "@" not in text:
        return frozenset()
    return frozenset(a.lower() for a in ADDRESS_RE.findall(text))


def is_address(value: str) -> bool:
    """One plain address: no display name, no list, nothing a header parser would split."""
    return PLAIN_ADDRESS_RE.fullmatch(value) is not None


def contains_snippet(text: str, snippet: str) -> bool:
    """Case-, space- and invisible-character-insensitive containment, so that a canary
    cannot leave merely re-spaced or re-cased."""
    needle = _INVISIBLE.sub("", snippet).casefold()
    return bool(needle) and needle in _INVISIBLE.sub("", text).casefold()


def authority_claim(text: str) -> str | None:
    match = AUTHORITY_RE.search(text)
    return match[0].strip() if match else None
