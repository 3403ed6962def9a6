"""Text scanners the policy gate and the agent share: money, links, addresses, numbers,
and claims of authority inside untrusted text.

Heuristics by nature (see the known gaps in the issue notes), kept in one place so that
the gate, the negotiation plan and the digest read text the same way.
"""

from __future__ import annotations

import re
import unicodedata

from bot.alternation import alternation
from bot.facts.money import find_amounts
from bot.facts.number_words import may_hold
from bot.first_char import guarded
from bot.gate.numerals import rewrite
from bot.needles import Needles, may_match, skeleton

URL_RE = guarded(
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
_CUR = "(?:" + alternation(CURRENCY_WORDS, ignore_case=True) + ")"
_NUM = r"\d{1,3}(?:[ ,.'’]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
AMOUNT_RE = guarded(rf"(?i)(?:(?P<ca>{_CUR})\s?(?P<a>{_NUM}))|(?:(?P<b>{_NUM})\s?(?P<cb>{_CUR})(?![a-z]))")
# A number right after a payment word is money even without a currency.
PAY_RE = guarded(
    rf"(?i)\b(?:{'|'.join(PAY_WORDS)})\w*"
    rf"(?:\s+(?:of|is|at|you|them|him|her|us|the|a|an|to|in|for|by|today|now|full)){{0,4}}"
    rf"\s+(?P<n>{_NUM})\b(?!\s?(?:%|{_CUR}))"
)
BARE_NUM_RE = guarded(rf"(?<![\w.,])(?:{_NUM})(?![\w])")
_DIGIT = guarded(r"\d")
HEADER_UNSAFE = guarded(r"[\r\n\x00\u2028\u2029\x85]")
ADDRESS_RE = guarded(r"(?i)\b[a-z0-9._%+\-]+@(?:[a-z0-9-]+\.)+[a-z]{2,}\b")
PLAIN_ADDRESS_RE = guarded(r"(?i)[a-z0-9._%+\-]+@(?:[a-z0-9-]+\.)+[a-z]{2,}")
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
_INVISIBLE = guarded(r"[\s\u200b-\u200f\u2060\ufeff\u00ad_\-.]+")
AUTHORITY_RE = guarded(
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
    return _holds_any(folded, _CURRENCY_HINTS), _holds_any(folded, _PAY_HINTS)


def _holds_any(text: str, words: tuple[str, ...]) -> bool:
    for word in words:  # a loop, not any() over a generator: this runs on every reply
        if word in text:
            return True
    return False


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


# --- money in outgoing text, in words and magnitudes ------------------------------------
# The gate's one door to money-finding. It will call bot.facts.money.find_amounts (the
# facts extractor's parser) once that lands; until then: the regexes above, over a view
# of the text with magnitudes and number words turned into digits.

_MAGNITUDE = guarded(
    r"(?i)(?P<n>\d+(?:[.,]\d+)?)\s?(?P<m>k\b|m\b|mn\b|bn\b|mio\b\.?|mrd\b\.?|thousand\b|grand\b|tausend\b"
    r"|mille\b|million(?:s|en)?\b|millions?\b|milliard(?:s|en)?\b|billion(?:s)?\b|milliarde?n?\b)"
)
_MULTIPLIER = {
    "k": 1e3, "thousand": 1e3, "grand": 1e3, "tausend": 1e3, "mille": 1e3,
    "m": 1e6, "mn": 1e6, "mio": 1e6, "million": 1e6, "millions": 1e6, "millionen": 1e6,
    "bn": 1e9, "billion": 1e9, "billions": 1e9, "mrd": 1e9, "milliard": 1e9, "milliards": 1e9,
    "milliarde": 1e9, "milliarden": 1e9,
}  # fmt: skip
# Currencies money_in does not know, with their codes; crypto units take up to 8 decimals.
_EXTRA_CUR = {
    "¥": "JPY", "yen": "JPY", "円": "JPY", "₹": "INR", "rupees": "INR", "rupee": "INR", "inr": "INR",
    "₿": "BTC", "btc": "BTC", "bitcoin": "BTC", "bitcoins": "BTC", "eth": "ETH", "ether": "ETH",
    "ethereum": "ETH", "usdt": "USDT", "usdc": "USDC", "cny": "CNY", "rmb": "CNY", "sek": "SEK",
    "nok": "NOK", "dkk": "DKK", "pln": "PLN", "franken": "CHF", "francs": "CHF", "bucks": "USD",
    "us$": "USD", "a$": "AUD", "c$": "CAD", "kr": "SEK", "zł": "PLN", "₽": "RUB", "₩": "KRW",
    "₪": "ILS", "฿": "THB", "tl": "TRY", "lira": "TRY", "lire": "TRY", "₺": "TRY", "₴": "UAH",
    "krw": "KRW", "thb": "THB", "uah": "UAH",
}  # fmt: skip
_EXTRA_ALT = alternation(_EXTRA_CUR, ignore_case=True)
_EXTRA_NUM = r"\d{1,3}(?:[ ,.'’]\d{3})+(?:[.,]\d{1,8})?|\d+(?:[.,]\d{1,8})?"
_EXTRA_RE = guarded(
    rf"(?i)(?:(?<![\w$])(?P<ca>{_EXTRA_ALT})\s?(?P<a>{_EXTRA_NUM}))"
    rf"|(?:(?P<b>{_EXTRA_NUM})\s?(?P<cb>{_EXTRA_ALT})(?![\w$]))"
)
_EXTRA_KEYS = sorted({k.lower() for k in _EXTRA_CUR})
# _EXTRA_RE needs a digit and one of its currency marks; "eth" stands for "ether" too.
_EXTRA_NEEDLES: Needles = tuple((k,) for k in _EXTRA_KEYS if not any(o != k and o in k for o in _EXTRA_KEYS))


def _may_name_extra(text: str) -> bool:
    """False when _EXTRA_RE cannot match ``text`` (see bot.needles)."""
    return _DIGIT.search(text) is not None and may_match(_EXTRA_NEEDLES, skeleton(text))


_WORD_LANGS = ("en", "de", "fr", "es")
# French "un million d'euros", "deux millions de dollars": the currency after "de".
_ELIDED = guarded(r"(?i)(?<=\d)\s*(?:d['’]|de\s+)(?=euros?\b|dollars?\b|livres?\b|francs?\b)")


def _magnitudes(text: str) -> str:
    def expand(m: re.Match[str]) -> str:
        value = _parse_decimal(m["n"]) * _MULTIPLIER[m["m"].lower().rstrip(".")]
        return f"{value:.2f}".rstrip("0").rstrip(".")

    return _MAGNITUDE.sub(expand, text)


def _parse_decimal(raw: str) -> float:
    """A number before a magnitude: "1.5", "1,5" (a decimal comma), "2"."""
    return float(raw.replace(",", "."))


def money_view(text: str) -> str:
    """The text with magnitudes ("€5k", "1.5 million") and number words ("nine hundred",
    "neunhundert", "neuf cents") written as digits, in NFKC (fullwidth digits)."""
    from text_to_num import alpha2digit  # a Rust extension: loaded on first use

    # Other scripts and languages first (bot.gate.numerals), then what a reader sees:
    # NFKC, no zero-width or bidi format characters inside a figure ("2\u200b50 EUR").
    view = unicodedata.normalize("NFKC", rewrite(text))
    expanded = _magnitudes(view)
    # The second magnitude pass reads what the first or the number words changed; on a
    # text neither changed it would find nothing the first did not.
    changed, view = expanded != view, expanded
    view_skeleton = skeleton(view)
    for lang in _WORD_LANGS:
        if not may_hold(view_skeleton, lang):
            continue  # no number word of the language: the pass would change nothing
        try:
            converted = alpha2digit(view, lang)
        except Exception:  # the parser is a heuristic over untrusted text: never fatal
            continue
        if converted != view:
            view, view_skeleton, changed = converted, skeleton(converted), True
    return _ELIDED.sub(" ", _magnitudes(view) if changed else view)


def outgoing_money(text: str) -> list[tuple[float, str]]:
    """All money an outgoing text names, as (amount, ISO code or "" for a payment word
    with no currency): digits, words, magnitudes, and ¥ ₹ ₿ BTC ETH besides € $ £.
    The gate blanks calendar dates first (bot.gate.commitments.without_dates). The facts'
    reader (``bot.facts.find_amounts``, which reads incoming mail) is asked too, so what
    Deputy is asked and what it promises are read by the same reader at least."""
    view = money_view(text)
    found = money_in(view)
    for amount in find_amounts(view):
        if amount.currency and (float(amount.value), amount.currency) not in found:
            found.append((float(amount.value), amount.currency))
    for m in _EXTRA_RE.finditer(view) if _may_name_extra(view) else ():
        raw = (m["a"] or m["b"] or "").replace(" ", "").replace("'", "").replace("’", "")
        # "0.005 BTC", "1.23456 ETH": decimals; "2,000" groups thousands (money_in's reading).
        decimal = re.fullmatch(r"(\d+)[.,](\d{3,8})", raw)
        if decimal and (decimal[1] == "0" or len(decimal[2]) != 3):
            value: float | None = float(f"{decimal[1]}.{decimal[2]}")
        else:
            value = _parse_number(raw)
        if value is not None:
            found.append((value, _EXTRA_CUR[(m["ca"] or m["cb"]).lower()]))
    return found
