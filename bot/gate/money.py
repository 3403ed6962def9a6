"""Money in outgoing text: every amount Deputy writes is an offer's own price, a price
it already offered, or a typed commitment within the rule's limit; a bare number that
looks like a price in a negotiation is one too."""

from __future__ import annotations

from bot.actions import Commitment
from bot.gate.commitments import without_dates
from bot.gate.context import GateContext
from bot.gate.textscan import bare_numbers_in, outgoing_money
from bot.gate.typed import price_like, typed_amount
from bot.rules.model import Rule


def money_problem(
    text: str,
    rule: Rule,
    ctx: GateContext,
    offered: float | None,
    commits: tuple[Commitment, ...] = (),
) -> str | None:
    mandate = rule.mandate
    limit = rule.header.limits.amount
    ours = set(ctx.our_offers)
    typed = [c for c in commits if c.amount is not None]
    for amount, currency in outgoing_money(without_dates(text)):
        if offered is not None:
            if amount != offered and amount not in ours and not typed_amount(typed, amount, currency):
                return f"amount {amount:g} in the offer text differs from the offer {offered:g}"
            if mandate is not None and currency and currency != mandate.currency.upper():
                return f"amount in {currency} in the offer text; the mandate is in {mandate.currency}"
            continue
        if mandate is not None and amount in ours:
            continue  # repeating what we already offered commits to nothing new
        if typed_amount(typed, amount, currency):
            continue  # the typed field is checked against the rule in typed.commitments_problem
        if limit is None:
            if mandate is not None:
                return f"amount {amount:g} in a reply: prices go through offers only"
            return f"amount {amount:g} is not covered by any limit of the rule"
        if currency and currency != limit.currency.upper():
            return f"amount in {currency}; the rule's limit is in {limit.currency}"
        if amount > limit.max:
            return f"amount {amount:g} exceeds the limit of {limit.max:g} {limit.currency}"
        # Design: what Deputy commits to leaves only as a typed field of the action.
        named = f"{amount:g} {currency}".strip()
        return f"amount {named} in the text has no typed commitment (commits)"
    if offered is not None:
        allowed = {offered, *ours}
        stray = [n for n in bare_numbers_in(without_dates(text)) if n not in allowed]
        if stray:
            return f"number {stray[0]:g} in the offer text differs from the offer {offered:g}"
    elif mandate is not None:
        stray = [
            n
            for n in bare_numbers_in(without_dates(text))
            if price_like(n, mandate) and n not in ours and not typed_amount(typed, n, "")
        ]
        if stray:
            return f"number {stray[0]:g} looks like a price; prices go through offers only"
    return None
