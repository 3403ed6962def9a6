"""Typed commitments against the rule: what Deputy promises (a price, an amount, an
acceptance, a payment, a date) leaves only as a typed field of its action, and each
field is checked here against the rule's limit, its mandate and the message's facts.
Words that commit without their typed field are blocked (``commitments_problem``).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from bot.actions import Commitment, Offer
from bot.gate.commitments import Promise, pay_sentences, price_as_pay, promises_in, without_dates
from bot.gate.context import GateContext
from bot.gate.textscan import outgoing_money
from bot.rules.model import Mandate, Money, Rule

MAX_COMMIT_DAYS = 366  # a typed date further out than a year is not a routine promise


def commitments_problem(
    text: str,
    rule: Rule,
    ctx: GateContext,
    commits: tuple[Commitment, ...],
    *,
    final: bool,
    offered: float | None,
) -> str | None:
    """Each typed commitment within the rule, and each commitment the words make
    (an acceptance, a payment, a date) backed by a typed one."""
    for c in commits:
        reason = typed_problem(c, rule, ctx)
        if reason:
            return reason
    kinds = {c.kind for c in commits}
    received = ctx.event.received_at.date()
    for promise in promises_in(text, year=received.year):
        if promise.kind == "accept" and "accept" not in kinds and not (offered is not None and final):
            return f"the text accepts ({promise.words!r}) without a typed acceptance"
        if promise.kind == "pay" and "pay" not in kinds:
            if _buyer_price(text, rule, offered, year=received.year):
                continue  # the offer's own price, typed and checked in _offer
            return f"the text promises payment ({promise.words!r}) without a typed payment"
        if promise.kind == "date":
            reason = _date_promise(promise, commits)
            if reason:
                return reason
    return None


def typed_problem(c: Commitment, rule: Rule, ctx: GateContext) -> str | None:
    """One typed commitment against the rule's limit, the mandate and the facts."""
    if c.kind == "date":
        return _typed_date(c, ctx.event.received_at.date())
    if c.amount is None or math.isnan(c.amount) or math.isinf(c.amount) or c.amount < 0:
        return f"a typed {c.kind} commitment needs a valid amount"
    currency = c.currency.strip().upper()
    if not currency:
        return f"a typed {c.kind} commitment of {c.amount:g} needs a currency"
    mandate, limit = rule.mandate, rule.header.limits.amount
    if c.kind == "accept":
        if mandate is not None:
            if currency != mandate.currency.upper():
                return f"acceptance in {currency}; the mandate is in {mandate.currency}"
            if ctx.negotiation_closed:
                return "the deal in this thread is already closed"
            if not mandate.acceptable(c.amount):
                return (
                    f"accepting {c.amount:g} {currency} is beyond the walk-away point {mandate.walk_away:g}"
                )
            theirs = _their_offers(ctx)
            if theirs and not any(_same(c.amount, t) for t in theirs):
                return f"acceptance of {c.amount:g}, but they offered {sorted(theirs)[0]:g}"
            return None
        return _within_limit(c, limit, "accepting")
    if c.kind == "pay":
        if ctx.facts.payment.changed:
            return "payment details differ from those on file: a payment promise needs the owner"
        if ctx.facts.payment.announces_change:
            return "the message announces new payment details: a payment promise needs the owner"
        due = ctx.facts.amount_due
        if due is not None and not (_same(float(due.value), c.amount) and due.currency in ("", currency)):
            return (
                f"promised payment {c.amount:g} {currency} differs from the amount due "
                f"{due.value} {due.currency}"
            )
        return _within_limit(c, limit, "paying")
    # kind == "amount": a figure the text states
    if mandate is not None:
        if c.amount in ctx.our_offers:
            return None
        return f"amount {c.amount:g} in a reply: prices go through offers only"
    return _within_limit(c, limit, "the amount")


def offer_problem(offer: Offer, ctx: GateContext) -> str | None:
    mandate = ctx.rule.mandate if ctx.rule else None
    if mandate is None:
        return "the rule has no mandate for offers"
    if ctx.negotiation_closed:
        return "the deal in this thread is already closed"
    if offer.currency.strip().upper() != mandate.currency.upper():
        return f"offer in {offer.currency}, mandate is in {mandate.currency}"
    if offer.amount != offer.amount or offer.amount < 0:  # NaN or negative
        return "offer amount is not a valid price"
    if not mandate.acceptable(offer.amount):
        return (
            f"offer {offer.amount:g} {offer.currency} is beyond the walk-away point "
            f"{mandate.walk_away:g} {mandate.currency}"
        )
    if ctx.negotiation_rounds >= mandate.max_rounds:
        # Past the cap only accepting what they already offered is still a decision
        # inside the mandate; a new concession is not.
        if not (offer.final and offer.amount in ctx.their_offers):
            return f"the mandate allows {mandate.max_rounds} rounds; they are used up"
    return None


def _same(a: float, b: float) -> bool:
    return abs(a - b) < 0.005


def typed_amount(typed: list[Commitment], amount: float, currency: str) -> bool:
    return any(
        c.amount is not None and _same(c.amount, amount) and (not currency or c.currency.upper() == currency)
        for c in typed
    )


def _their_offers(ctx: GateContext) -> set[float]:
    theirs = set(ctx.their_offers)
    offer = ctx.facts.offer
    if offer is not None and offer.value is not None and not offer.ambiguous:
        theirs.add(float(offer.value))
    return theirs


def _within_limit(c: Commitment, limit: Money | None, what: str) -> str | None:
    assert c.amount is not None
    if limit is None:
        return f"{what} {c.amount:g} {c.currency} is not covered by any limit of the rule"
    if c.currency.upper() != limit.currency.upper():
        return f"{what} in {c.currency}; the rule's limit is in {limit.currency}"
    if c.amount > limit.max:
        return f"{what} {c.amount:g} exceeds the limit of {limit.max:g} {limit.currency}"
    return None


def _typed_date(c: Commitment, today: date) -> str | None:
    try:
        day = date.fromisoformat(c.on)
    except ValueError:
        return f"a typed date commitment needs an ISO date, not {c.on!r}"
    if day < today:
        return f"the committed date {day.isoformat()} is in the past"
    if day > today + timedelta(days=MAX_COMMIT_DAYS):
        return f"the committed date {day.isoformat()} is more than a year ahead"
    return None


def _date_promise(promise: Promise, commits: tuple[Commitment, ...]) -> str | None:
    dates = [c.on for c in commits if c.kind == "date"]
    if not dates:
        return f"the text commits to a date ({promise.words!r}) without a typed date"
    if promise.on is not None and promise.on.isoformat() not in dates:
        return f"the text names {promise.on.isoformat()}, the typed date is {dates[0]}"
    return None


def _buyer_price(text: str, rule: Rule, offered: float | None, *, year: int) -> bool:
    """A buy-side offer worded "we can pay 300 EUR": every sentence that words a payment
    states only the offered amount, in the mandate's currency, with nothing else."""
    mandate = rule.mandate
    if offered is None or mandate is None or mandate.side != "buy":
        return False
    sentences = pay_sentences(text)
    if not sentences:
        return False
    for sentence in sentences:
        money = outgoing_money(without_dates(sentence))
        if not money or not price_as_pay(sentence, year=year):
            return False
        currency = mandate.currency.upper()
        if any(not _same(amount, offered) or cur not in ("", currency) for amount, cur in money):
            return False
    return True


def price_like(value: float, mandate: Mandate) -> bool:
    low = min(mandate.target, mandate.walk_away) / 4
    high = max(mandate.target, mandate.walk_away) * 4
    return low <= value <= high
