"""Currency marks as written next to a number, mapped to ISO 4217 codes (or a crypto
unit). One table for symbols, codes and words, so that the amount reader, the offer
reader and the gate agree on what "Fr." or "k€" means."""

from __future__ import annotations

from bot.alternation import alternation
from bot.first_char import guarded
from bot.needles import CHECK_LIMIT, Needles, may_match, skeleton

# Written before or after the number.
SYMBOLS: dict[str, str] = {
    "US$": "USD", "USD$": "USD", "CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD",
    "NZ$": "NZD", "HK$": "HKD", "S$": "SGD", "R$": "BRL", "$": "USD", "€": "EUR", "£": "GBP",
    "¥": "JPY", "₹": "INR", "₽": "RUB", "₺": "TRY", "₩": "KRW", "₿": "BTC", "Ξ": "ETH",
    "zł": "PLN", "Kč": "CZK", "Fr.": "CHF", "SFr.": "CHF", "sFr.": "CHF",
}  # fmt: skip
CODES: tuple[str, ...] = (
    *("EUR", "USD", "GBP", "CHF", "JPY", "CNY", "RMB", "INR", "CAD", "AUD", "NZD", "SEK"),
    *("NOK", "DKK", "PLN", "CZK", "HUF", "RON", "BGN", "RUB", "TRY", "BRL", "MXN", "ZAR"),
    *("SGD", "HKD", "KRW", "AED", "ILS", "THB"),
    *("USDT", "USDC", "BTC", "ETH", "XBT", "LTC", "XRP", "SOL", "DAI"),
)
CRYPTO = frozenset({"USDT", "USDC", "BTC", "ETH", "LTC", "XRP", "SOL", "DAI"})
# Written after the number only ("nine hundred euros", "500 Franken").
WORDS: dict[str, str] = {
    **dict.fromkeys(("euro", "euros", "eur", "eurocents"), "EUR"),
    **dict.fromkeys(("dollar", "dollars", "dólar", "dólares", "dollaro", "dollari", "bucks"), "USD"),
    **dict.fromkeys(("pound", "pounds", "sterling", "pfund", "livres", "libras", "sterline"), "GBP"),
    **dict.fromkeys(("franken", "francs", "franc", "francos", "franchi"), "CHF"),
    **dict.fromkeys(("yen",), "JPY"),
    **dict.fromkeys(("yuan", "renminbi"), "CNY"),
    **dict.fromkeys(("rupee", "rupees", "roupies"), "INR"),
    **dict.fromkeys(("bitcoin", "bitcoins"), "BTC"),
    **dict.fromkeys(("ether",), "ETH"),
    **dict.fromkeys(("tether",), "USDT"),
}

_ALIASES = {"XBT": "BTC", "RMB": "CNY"}


_MARKS = alternation([*SYMBOLS, *CODES])
# Right before the number ("EUR 1.840,00", "€5k", "US$ 180"): matched on a short slice
# ending at the number, so it never scans more than a few characters.
BEFORE_RE = guarded(rf"(?<![A-Za-z])(?P<cur>{_MARKS})[ ]?\Z")
# Right after the number (and its magnitude, read separately).
# Codes are case-sensitive ("10 ils" is French, "10 ILS" is shekels); words are not.
_WORDS = alternation(WORDS, ignore_case=True)
AFTER_RE = guarded(rf"[ ]?(?:(?P<cur>{_MARKS})|(?P<word>(?i:{_WORDS})))(?![A-Za-zÀ-ÿ])")
# Any mention of a currency word, for the amounts-in-words pass.
WORD_RE = guarded(rf"(?<![A-Za-zÀ-ÿ])(?:(?i:{_WORDS})|{alternation(CODES)})(?![A-Za-zÀ-ÿ])|[€$£¥₹]")


def _shortest(items: list[str]) -> tuple[str, ...]:
    """The items no other item is part of: "eur" stands for "euro", "euros", "eurocents"."""
    return tuple(sorted(i for i in items if not any(o != i and o in i for o in items)))


# What WORD_RE cannot match without (see bot.needles): one of its symbols, one of its
# codes as written (they are case-sensitive there), or one of its words in any case.
_WORD_SYMBOLS = "€$£¥₹"
_CODE_NEEDLES = _shortest(list(CODES))
_WORD_NEEDLES: Needles = tuple((w,) for w in _shortest([w.lower() for w in WORDS]))


def may_mention(text: str) -> bool:
    """False when WORD_RE cannot match anywhere in ``text`` (never for a long text)."""
    if len(text) > CHECK_LIMIT:
        return True
    for symbol in _WORD_SYMBOLS:
        if symbol in text:
            return True
    for mark in _CODE_NEEDLES:
        if mark in text:
            return True
    return may_match(_WORD_NEEDLES, skeleton(text))


def code(mark: str) -> str:
    """ISO 4217 code (or crypto unit) for a mark as written; "" when unknown."""
    if mark in SYMBOLS:
        return SYMBOLS[mark]
    upper = mark.upper()
    if upper in CODES:
        return _ALIASES.get(upper, upper)
    return WORDS.get(mark.lower(), "")
