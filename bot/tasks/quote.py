"""What a supplier's reply quotes, read from the facts of their own words (``bot.facts``).

A quotes task accepts a price on the owner's behalf, so it may accept only a price the
supplier actually offered: ``facts.offer.value``, read from their own text (never the
quoted history under a reply, never a price their text turns down), in the task's
currency, comparable with the budget. Everything else is *unclear* and goes to the
owner: a range, several prices, no currency or another one, and VAT that does not match
the budget.

VAT: a budget is what the owner pays, VAT included (``budget: 300 EUR``), unless the task
says ``net`` (``budget: 300 EUR net`` or ``plus VAT``). Against a gross budget, a price
"plus VAT" (or a net price with the tax beside it and no total) is unclear; a total with
the tax in it is the gross price. Against a net budget, a price "incl. VAT" is unclear.
A price that names no VAT is taken as written, as a buyer reads a quote.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.facts import Facts
from bot.tasks.model import QuotesSpec

# The roles of amounts that read as a price offered (not a tax, subtotal or deposit).
_PRICE_ROLES = ("price", "other", "line")


@dataclass(frozen=True, slots=True)
class Quote:
    """``price``: the single price to compare with the budget, in the task's currency.
    ``unclear``: why the reply cannot be taken as a quote without the owner ("" when it
    can, or when it quotes nothing at all). ``floor``: the lowest price the unclear quote
    could mean in the task's currency, None when it cannot be compared."""

    price: float | None = None
    unclear: str = ""
    floor: float | None = None
    words: str = ""

    @property
    def clear(self) -> bool:
        return self.price is not None and not self.unclear


def _num(value: Decimal) -> str:
    return f"{float(value):g}"


def read_quote(facts: Facts, spec: QuotesSpec) -> Quote:
    """The quote in a supplier's reply, or why it is unclear (see the module docstring)."""
    offer = facts.offer
    cur = spec.currency.upper()
    if offer is None or (offer.value is None and offer.low is None):
        if offer is not None and offer.refused:
            refused = ", ".join(_num(r) for r in offer.refused)
            return Quote(unclear=f"turns down {refused} but names no price of its own")
        return Quote()  # no price at all: nothing to accept, nothing that could be cheaper
    words = offer.text
    if offer.currency and offer.currency.upper() != cur:
        value = offer.value if offer.value is not None else offer.low
        return Quote(
            unclear=f"a price in {offer.currency} ({_num(value or Decimal(0))}), not in {cur}", words=words
        )
    if not offer.currency:
        return Quote(unclear="a price with no currency", words=words)
    if offer.ambiguous:
        assert offer.low is not None and offer.high is not None
        span = f"{_num(offer.low)}-{_num(offer.high)} {cur}"
        return Quote(unclear=f"a range, {span}", floor=float(offer.low), words=words)
    assert offer.value is not None
    turned_down = set(offer.refused)
    body = [a for a in facts.amounts if a.source == "body" and a.currency in ("", cur)]
    prices = sorted(
        {a.value for a in body if a.role in _PRICE_ROLES and a.value not in turned_down} | {offer.value}
    )
    if len(prices) > 1:
        shown = ", ".join(f"{_num(p)} {cur}" for p in prices[:4])
        return Quote(unclear=f"several prices ({shown})", floor=float(prices[0]), words=words)
    taxed = any(a.role == "tax" for a in body)
    totals = [a.value for a in body if a.role in ("total", "due") and a.value > offer.value]
    if spec.budget_vat == "gross":
        if taxed and totals:
            return Quote(price=float(max(totals)), words=words)  # the total with the tax in it
        if offer.vat == "excl" or taxed:
            return Quote(
                unclear=f"{_num(offer.value)} {cur} plus VAT; your budget includes VAT",
                floor=float(offer.value),
                words=words,
            )
    elif offer.vat == "incl":
        return Quote(unclear=f"{_num(offer.value)} {cur} including VAT; your budget is net", words=words)
    return Quote(price=float(offer.value), words=words)
