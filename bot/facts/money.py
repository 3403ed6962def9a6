"""Amounts of money in a text, each with its currency and its role (total, amount due,
subtotal, tax, line item, deposit, price).

``find_amounts`` is the one reader of money in Deputy: the facts of an incoming mail and
the gate's check of an outgoing one both call it, so "what was asked" and "what we
promise" are read the same way. It is bounded (the text is capped by ``normalise``) and
uses no backtracking-prone pattern: numbers come from ``bot.facts.numbers``, currency
marks are matched on a few characters either side of each number, and roles on the
words before it on the same line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.alternation import alternation
from bot.facts import currency
from bot.facts.model import Amount, AmountRole, Source
from bot.facts.numbers import magnitude, numbers
from bot.facts.text import normalise
from bot.facts.words import words_to_digits
from bot.first_char import guarded
from bot.needles import Needles, may_match, skeleton

MAX_AMOUNTS = 60
# Numbers looked at per text: a real mail has a few hundred; a table dump or a hostile
# body of digits stops here instead of costing seconds.
MAX_NUMBERS = 3000

# Role words, most specific first within each role; matched on the words before an
# amount (same line, after the previous amount). The one nearest the amount wins.
_ROLE_WORDS: dict[AmountRole, tuple[str, ...]] = {
    "due": (
        *("amount due", "balance due", "total due", "amount payable", "balance", "outstanding"),
        *("to pay", "please pay", "payable", "due", "zu zahlen", "zahlbetrag", "offener betrag"),
        *("fälliger betrag", "restbetrag", "noch offen", "montant dû", "montant du", "reste à payer"),
        *("net à payer", "à payer", "a pagar", "importe pendiente", "da pagare", "saldo"),
    ),
    "total": (
        *("grand total", "invoice total", "invoice amount", "total amount", "total", "sum"),
        *("gesamtbetrag", "gesamtsumme", "rechnungsbetrag", "endbetrag", "bruttobetrag", "gesamt"),
        *("summe", "brutto", "montant total", "montant ttc", "ttc", "importe total", "totale"),
        *("importo totale", "importo"),
    ),
    "subtotal": (
        *("subtotal", "sub-total", "sub total", "net amount", "net total", "zwischensumme"),
        *("nettobetrag", "netto", "sous-total", "sous total", "total ht", "montant ht", "ht"),
        *("base imponible", "imponibile", "subtotale"),
    ),
    "tax": (
        *("vat", "tax", "sales tax", "gst", "mwst", "mehrwertsteuer", "umsatzsteuer", "ust"),
        *("tva", "iva"),
    ),
    "deposit": (
        *("deposit", "down payment", "downpayment", "advance payment", "retainer", "anzahlung"),
        *("vorauszahlung", "kaution", "acompte", "arrhes", "avance", "anticipo", "señal", "caparra"),
    ),
    "price": (
        *("price", "quote", "offer", "fee", "rate", "cost", "costs", "preis", "angebot", "kosten"),
        *("kostet", "honorar", "prix", "tarif", "offre", "devis", "coût", "precio", "oferta"),
        *("presupuesto", "prezzo", "offerta", "preventivo", "for only", "only"),
    ),
}
_ROLE_OF: dict[str, AmountRole] = {w: role for role, ws in _ROLE_WORDS.items() for w in ws}
_ROLE_RE = guarded(
    r"(?<![A-Za-zÀ-ÿ])(?:" + alternation(_ROLE_OF, ignore_case=True) + r")"
    r"(?![A-Za-zÀ-ÿ])",
    re.IGNORECASE,
)
# "incl. VAT", "zzgl. MwSt.", "hors taxes": a qualifier of the amount, not the tax line.
_QUALIFIER_RE = guarded(
    r"(?i)(?<![A-Za-zÀ-ÿ])(?:incl\.?|including|inclusive|inkl\.?|inklusive|einschl\.?|excl\.?|excluding|"
    r"exkl\.?|zzgl\.?|zuzüglich|plus|ohne|without|hors|y|con|sin|più|compris|comprise)\s?(?:de\s|la\s)?"
    r"(?:\d{1,2}\s?%\s)?(?:vat|tax|taxes|mwst\.?|ust\.?|tva|iva)(?![A-Za-zÀ-ÿ])"
)
# Every _QUALIFIER_RE match ends in one of these words (see bot.needles).
_QUALIFIER_NEEDLES: Needles = (("vat",), ("tax",), ("mwst",), ("ust",), ("tva",), ("iva",))
# A line item: a quantity or a unit before the amount ("2 x", "3 Stk.", "10 h", "Pos. 1").
_LINE_RE = guarded(
    r"(?i)(?:^|\s)(?:\d+\s?(?:x|×|pcs|pc|stk\.?|stück|h|hrs|hours|std\.?|stunden|units?|heures|unités)"
    r"(?![A-Za-zÀ-ÿ])|pos\.?\s?\d|item\s\d|qty)"
)
# Money words before a number with no currency: "Total: 1.840,00" on an invoice.
_LABEL_RE = guarded(
    r"(?i)(?<![A-Za-zÀ-ÿ])(?:total|amount|betrag|summe|montant|balance|due|zu zahlen|subtotal|"
    r"zwischensumme|price|preis|prix|precio|prezzo|importe|importo|à payer)[^\n\d]{0,24}$"
)
# A label that names a date ("Due date:", "Fälligkeitsdatum:", "date d'échéance:"), not money.
_DATE_WORD_RE = guarded(r"(?i)(?<![a-zà-ÿ])(?:date|fecha|data|échéance|deadline)(?![a-zà-ÿ])|datum")
# The role written right after the amount: "EUR 200 as a deposit", "50 € Anzahlung".
_AFTER_ROLE_RE = guarded(
    r"(?i)[ ]?(?:as\s(?:a\s|the\s)?|als\s|d'|de\s|en\s|di\s|como\s)?"
    r"(?P<word>deposit|down\spayment|anzahlung|acompte|arrhes|anticipo|caparra|vat|mwst|tva|iva)(?![A-Za-zÀ-ÿ])"
)


@dataclass(frozen=True, slots=True)
class _Found:
    start: int
    end: int
    value: Decimal
    currency: str


def find_amounts(text: str, *, source: Source = "body", language: str = "") -> list[Amount]:
    """Every amount of money in ``text``, in order, with currency and role.

    Safe to call on any text of any size (capped; linear). ``language`` (ISO 639-1)
    chooses the vocabulary for amounts written in words; without it English, German,
    French, Spanish and Italian are tried on lines that name a currency but show none
    in digits."""
    return amounts_in(normalise(text), source=source, language=language)


def amounts_in(text: str, *, source: Source = "body", language: str = "") -> list[Amount]:
    """``find_amounts`` for text already passed through ``normalise``."""
    found = _digit_amounts(text)
    found.extend(_word_amounts(text, found, language))
    found.sort(key=lambda f: f.start)
    currencies = {f.currency for f in found if f.currency}
    default = next(iter(currencies)) if len(currencies) == 1 else ""
    out: list[Amount] = []
    prev_end = 0
    for f in found[:MAX_AMOUNTS]:
        role = _role(text, f.start, prev_end)
        if role == "other":
            after = _AFTER_ROLE_RE.match(text, f.end, min(len(text), f.end + 40))
            if after is not None:
                role = _ROLE_OF.get(after.group("word").lower(), "other")
        prev_end = f.end
        out.append(
            Amount(
                value=f.value,
                currency=f.currency or default,
                role=role,
                source=source,
                text=text[f.start : f.end].strip(),
            )
        )
    return out


def _digit_amounts(text: str, start: int = 0, end: int | None = None) -> list[_Found]:
    out: list[_Found] = []
    for seen, num in enumerate(numbers(text, start, end)):
        if len(out) >= MAX_AMOUNTS or seen >= MAX_NUMBERS:
            break
        s, e = num.start, num.end
        cur = ""
        before = currency.BEFORE_RE.search(text, max(0, s - 6), s)
        if before is not None:
            cur = currency.code(before.group("cur"))
            s = before.start()
        factor, e2 = magnitude(text, e)
        after = currency.AFTER_RE.match(text, e2)
        if after is not None:
            if not cur:
                cur = currency.code(after.group("cur") or after.group("word"))
            e = after.end()
        elif factor != 1 and cur:
            e = e2
        else:
            factor = Decimal(1)
        if not cur:
            if text[e : e + 2].strip().startswith("%") or not _labelled(text, s, e):
                continue
            cur = _line_currency(text, s)
        value = _plain((num.value * factor).normalize()) if factor != 1 else num.value
        out.append(_Found(s, e, value, cur))
    return out


def _line_start(text: str, pos: int) -> int:
    """Start of the line holding ``pos``, looked for no further back than a long line:
    an unbounded ``rfind`` per number makes a text without line breaks quadratic."""
    floor = max(0, pos - 300)
    return text.rfind("\n", floor, pos) + 1 or floor


def _plain(value: Decimal) -> Decimal:
    """5E+3 -> 5000: amounts are shown and compared as written, never in exponent form."""
    return Decimal(format(value, "f")) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


def _line_currency(text: str, start: int) -> str:
    """The currency a label names for a bare number: "Total (EUR): 1.840,00"."""
    line_start = _line_start(text, start)
    mark = currency.WORD_RE.search(text, max(line_start, start - 60), start)
    return currency.code(mark.group()) if mark else ""


def _labelled(text: str, start: int, end: int) -> bool:
    """A currency-less number counts as money right after a money label, alone at the
    end of its clause ("Total: 1.840,00"), never when a word follows ("Total: 3 items")."""
    line_start = _line_start(text, start)
    label = _LABEL_RE.search(text, max(line_start, start - 40), start)
    if label is None or _DATE_WORD_RE.search(label.group()):
        return False  # "Due date: 2026-12-20" names a date, not money
    rest = text[end : end + 12].lstrip(" \t:")
    if rest[:1] in ("-", "\u2010", "\u2011") and rest[1:2].isalpha():
        return False  # "price for a 2-day workshop": a compound word, not an amount
    if rest[:1] in ("-", "/", ".") and rest[1:2].isdigit():
        return False  # the year of an ISO 8601 date (2026-12-20) or a number like 2026/0042
    return not rest or not rest[0].isalnum()


def _word_amounts(text: str, found: list[_Found], language: str) -> list[_Found]:
    """Amounts written in words ("nine hundred euros", "neunhundert Euro"): lines that
    name a currency no digit amount accounts for are rewritten by text2num, then read
    again for digits."""
    covered = [(f.start, f.end) for f in found]
    # Past the digit pass's cap the rest of the text was not read; neither is it here.
    stop = found[-1].end if len(found) >= MAX_AMOUNTS else len(text)
    out: list[_Found] = []
    seen_lines: set[int] = set()
    for mark in currency.WORD_RE.finditer(text, 0, stop) if currency.may_mention(text) else ():
        if len(out) >= 10 or len(seen_lines) >= 20:
            break
        if any(s <= mark.start() < e for s, e in covered):
            continue
        line_start = _line_start(text, mark.start())
        if line_start in seen_lines:
            continue
        seen_lines.add(line_start)
        horizon = min(len(text), mark.end() + 300)
        line_end = text.find("\n", mark.end(), horizon)
        line_end = horizon if line_end < 0 else line_end
        line = text[line_start:line_end][:2000]
        for converted in words_to_digits(line, language):
            extra = [
                f
                for f in _digit_amounts(converted)
                if f.currency
                and not any(f.value == g.value for g in found if line_start <= g.start < line_end)
            ]
            if extra:
                for f in extra:
                    s, e = _original_span(line, converted, f)
                    out.append(_Found(line_start + s, line_start + e, f.value, f.currency))
                break
    return out


def _original_span(line: str, converted: str, f: _Found) -> tuple[int, int]:
    """Where the words of a converted amount sit in the original line: the unchanged
    prefix gives the start, the currency word (unchanged by text2num) the end."""
    common = 0
    limit = min(len(line), len(converted), f.start)
    while common < limit and line[common] == converted[common]:
        common += 1
    tail = converted[f.start : f.end]
    mark = currency.WORD_RE.search(tail)
    word = mark.group() if mark else ""
    end = line.find(word, common) + len(word) if word and line.find(word, common) >= 0 else len(line)
    return common, end


def _role(text: str, start: int, prev_end: int) -> AmountRole:
    line_start = _line_start(text, start)
    window_start = max(line_start, prev_end, start - 80)
    window = text[window_start:start]
    blank = not window.strip()
    # The role words of the window, read once: unless a qualifier is blanked or the
    # line above stands in, they are also the words the role is taken from below.
    words = [] if blank else _ROLE_RE.findall(window)
    if not words:
        # A table: the label on the line above, the amount alone on its line.
        if line_start > 0 and blank:
            above_start = _line_start(text, line_start - 1)
            above = text[above_start : line_start - 1]
            if above.strip() and len(above) < 80 and not any(c.isdigit() for c in above):
                window = above
                words = _ROLE_RE.findall(window)
    if _LINE_RE.search(window):
        return "line"
    qualified = may_match(_QUALIFIER_NEEDLES, skeleton(window))
    stripped = _QUALIFIER_RE.sub(lambda m: " " * len(m.group()), window) if qualified else window
    if stripped != window:
        words = _ROLE_RE.findall(stripped)
    last: AmountRole | None = _ROLE_OF[words[-1].lower()] if words else None
    if last is None and stripped != window:
        return "tax"  # "zzgl. 19 % MwSt. 95,00 EUR": the qualifier is all there is, so it is the tax
    return last or "other"
