"""The role reader, reading each window's role words once and skipping the qualifier
scan where no qualifier word is, gives every amount of every corpus text the role it
gave before (the reader as it was is kept here to compare with)."""

from __future__ import annotations

from bot.facts import money
from bot.facts.model import AmountRole
from bot.facts.numbers import numbers
from bot.facts.text import normalise
from tests.facts.test_number_words import TEXTS

# Each qualifier word, so that no needle goes unchecked: the role hangs on the qualifier.
QUALIFIED = [
    "Total incl. VAT 120.00 EUR",
    "zzgl. 19 % MwSt. 95,00 EUR",
    "Gesamtbetrag inkl. USt. 50,00 EUR",
    "Prix hors TVA 30,00 EUR",
    "Importe total con IVA 40,00 EUR",
    "Price excluding tax 99.00 USD",
]


def _role_before(text: str, start: int, prev_end: int) -> AmountRole:
    line_start = money._line_start(text, start)
    window_start = max(line_start, prev_end, start - 80)
    window = text[window_start:start]
    if not window.strip() or not money._ROLE_RE.search(window):
        if line_start > 0 and not window.strip():
            above_start = money._line_start(text, line_start - 1)
            above = text[above_start : line_start - 1]
            if above.strip() and len(above) < 80 and not any(c.isdigit() for c in above):
                window = above
    if money._LINE_RE.search(window):
        return "line"
    stripped = money._QUALIFIER_RE.sub(lambda m: " " * len(m.group()), window)
    last: AmountRole | None = None
    for match in money._ROLE_RE.finditer(stripped):
        last = money._ROLE_OF[match.group().lower()]
    if last is None and stripped != window:
        return "tax"
    return last or "other"


def test_every_number_of_every_corpus_text_gets_the_role_it_got_before() -> None:
    compared = qualified = 0
    for raw in [*TEXTS, *QUALIFIED]:
        text = normalise(raw)
        prev_end = 0
        for num in numbers(text):
            assert money._role(text, num.start, prev_end) == _role_before(text, num.start, prev_end), text
            compared += 1
            qualified += _role_before(text, num.start, prev_end) == "tax"
            prev_end = num.end
    assert compared > 1000 and qualified > 5  # numbers were read, qualifiers among them
