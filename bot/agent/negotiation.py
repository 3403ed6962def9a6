"""Negotiation inside a mandate: pure functions, no model, no I/O.

The model writes the words; these functions decide the numbers. The agent asks
``plan_for`` what the next move is and tells the model; an offer inside the mandate with
a number other than the planned one is replaced by the planned one, while an offer beyond
the mandate is left for the policy gate to block (so that the escalation names the rule).
The core keeps ``NegotiationState`` per thread and moves it on with ``advance`` after the
gate, with what the gate actually allowed.

Their price is the message's facts (``bot.facts``: ``Facts.offer``, read from their own
words, never from the quoted history, where our own earlier price stands), put in the
mandate's terms by ``their_price``: another currency is a question for the owner, never
a number dropped or converted silently. The rounds are read from the thread itself as
well as from the stored state (``from_thread``): what the counterpart offered in their
earlier messages and what Deputy sent, so an offer the owner approved, or one made
before the state was kept, still counts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal, TypedDict

from bot.actions import Action, Escalate, Ignore, Offer, Reply
from bot.agent.base import NegotiationState
from bot.facts.model import Offer as OfferFact
from bot.facts.offer import offer_in
from bot.facts.text import own_text
from bot.first_char import guarded
from bot.gate.textscan import money_in
from bot.rules.model import Mandate

PlanKind = Literal["counter", "accept", "escalate", "hold"]

# Words with which a counterpart says they will not move any more.
REFUSAL_RE = guarded(
    r"(?i)\b(?:final\s+offer|last\s+offer|best\s+and\s+final|take\s+it\s+or\s+leave\s+it|"
    r"not\s+a\s+cent\s+more|can(?:not|'t)\s+go\s+(?:any\s+)?(?:higher|lower|further)|"
    r"won'?t\s+go\s+(?:any\s+)?(?:higher|lower|further)|non-?negotiable)\b"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """The next move. ``amount`` is set for counter and accept."""

    kind: PlanKind
    amount: float | None = None
    final: bool = False
    reason: str = ""


def better_or_equal(mandate: Mandate, a: float, b: float) -> bool:
    """Is price ``a`` at least as good for us as price ``b``?"""
    return a >= b if mandate.side == "sell" else a <= b


def schedule(mandate: Mandate, round_index: int) -> float | None:
    """Our offer in round ``round_index`` (0-based): a straight line from target to
    walk_away over max_rounds, rounded in our favour and clamped at walk_away."""
    if round_index >= mandate.max_rounds:
        return None
    if mandate.max_rounds == 1:
        value = mandate.target
    else:
        step = (mandate.walk_away - mandate.target) / (mandate.max_rounds - 1)
        value = mandate.target + step * round_index
    if float(mandate.target).is_integer() and float(mandate.walk_away).is_integer():
        value = math.ceil(value - 1e-9) if mandate.side == "sell" else math.floor(value + 1e-9)
    else:
        value = round(value, 2)
    if mandate.side == "sell":
        return float(max(value, mandate.walk_away))
    return float(min(value, mandate.walk_away))


@dataclass(frozen=True, slots=True)
class Theirs:
    """Their price in this message in the mandate's terms: ``amount`` in the mandate's
    currency, or ``problem``, why code cannot negotiate on it (the owner is asked)."""

    amount: float | None = None
    problem: str = ""


def their_price(offer: OfferFact | None, mandate: Mandate) -> Theirs:
    """``Facts.offer`` in the mandate's terms. A range counts at its end worse for us
    (what they will surely do); a price with no currency only within a plausible band
    of the mandate (a bare "3" is a quantity, not a price); any price far from the
    mandate's scale ("shipping 5 EUR") is not the price of this deal."""
    if offer is None:
        return Theirs()
    cur = mandate.currency.upper()
    value = offer.value
    if value is None and offer.low is not None and offer.high is not None:
        value = offer.low if mandate.side == "sell" else offer.high
    if value is None:
        return Theirs()
    if offer.currency and offer.currency.upper() != cur:
        return Theirs(problem=f"they offered {float(value):g} {offer.currency}; the mandate is in {cur}")
    amount = float(value)
    low = min(mandate.target, mandate.walk_away) / 4
    high = max(mandate.target, mandate.walk_away) * 4
    return Theirs(amount=amount) if low <= amount <= high else Theirs()


def their_offer_in(text: str, *, mandate: Mandate, state: NegotiationState | None = None) -> float | None:
    """Their price in a message ``text`` (its own words only; the quote under a reply is
    cut off first): for callers that hold only the text."""
    return their_price(offer_in(own_text(text)), mandate).amount


def from_thread(
    state: NegotiationState | None,
    *,
    mandate: Mandate,
    their_offers: Iterable[OfferFact | None],
    sent: Iterable[str],
) -> NegotiationState:
    """The state as the thread itself shows it: ``their_offers`` are the facts of the
    counterpart's earlier messages, ``sent`` what Deputy sent in the thread (each text
    with a price in the mandate's currency is one of our offers). The stored state is
    kept where it knows more (the thread read is bounded); rounds are the most of: our
    offers recorded, our offers sent (an acceptance of their price is no round), their
    offers answered (each earlier offer of theirs was one exchange)."""
    base = state or NegotiationState()
    theirs = [t.amount for t in (their_price(o, mandate) for o in their_offers) if t.amount is not None]
    cur = mandate.currency.upper()
    ours: list[float] = []
    for text in sent:
        prices = [a for a, c in money_in(text) if c == cur]
        if prices:
            ours.append(prices[-1])
    new_rounds = sum(1 for a in ours if a not in theirs)
    return NegotiationState(
        rounds=max(base.rounds, new_rounds, len(theirs)),
        our_offers=tuple(ours) if len(ours) > len(base.our_offers) else base.our_offers,
        their_offers=tuple(theirs) if theirs and len(theirs) >= len(base.their_offers) else base.their_offers,
        closed=base.closed,
    )


def _escalate(reason: str) -> Plan:
    return Plan(kind="escalate", reason=reason)


def _accept(amount: float, reason: str) -> Plan:
    return Plan(kind="accept", amount=amount, final=True, reason=reason)


def propose_counter(
    mandate: Mandate,
    state: NegotiationState,
    their_offer: float | None,
    *,
    refused: bool = False,
) -> Plan:
    """The deterministic concession strategy. ``state`` is the state before this message."""
    if state.closed:
        return Plan(kind="hold", reason="the deal is already closed")
    nxt = schedule(mandate, state.rounds)
    if their_offer is None:
        if state.rounds == 0 and nxt is not None:
            return Plan(kind="counter", amount=nxt, reason="opening at the target")
        return Plan(kind="hold", reason="no new price from them; no new concession")
    cur = mandate.currency
    if nxt is not None and better_or_equal(mandate, their_offer, nxt):
        return _accept(their_offer, f"their {their_offer:g} is as good as our next {nxt:g}")
    last_ours = state.our_offers[-1] if state.our_offers else None
    if last_ours is not None and better_or_equal(mandate, their_offer, last_ours):
        return _accept(their_offer, f"their {their_offer:g} meets our last offer {last_ours:g}")
    inside = mandate.acceptable(their_offer)
    if nxt is None:
        if inside:
            return _accept(their_offer, "rounds used up; their offer is inside the mandate")
        return _escalate(
            f"all {mandate.max_rounds} rounds are used up; their {their_offer:g} {cur} is "
            f"beyond the walk-away {mandate.walk_away:g} {cur}"
        )
    if not inside and refused:
        return _escalate(
            f"they will not move from {their_offer:g} {cur}, beyond the walk-away {mandate.walk_away:g} {cur}"
        )
    previous = state.their_offers[-1] if state.their_offers else None
    if not inside and previous is not None and better_or_equal(mandate, previous, their_offer):
        return _escalate(
            f"they did not move toward us ({previous:g}, then {their_offer:g} {cur}); "
            f"that is beyond the walk-away {mandate.walk_away:g} {cur}"
        )
    return Plan(
        kind="counter",
        amount=nxt,
        reason=f"round {state.rounds + 1} of {mandate.max_rounds}: counter at {nxt:g} {cur}",
    )


def plan_from(
    mandate: Mandate, state: NegotiationState, offer: OfferFact | None, *, own_words: str
) -> tuple[Theirs, Plan]:
    """Their price from the message's facts and the move: a price code cannot weigh
    (another currency) goes to the owner. ``own_words``: the message's own text, for
    the words with which they say they will not move."""
    theirs = their_price(offer, mandate)
    if theirs.problem:
        return theirs, _escalate(theirs.problem)
    refused = bool(REFUSAL_RE.search(own_words))
    return theirs, propose_counter(mandate, state, theirs.amount, refused=refused)


def plan_for(mandate: Mandate, state: NegotiationState, text: str) -> tuple[float | None, Plan]:
    """``plan_from`` for callers that hold only the message's text."""
    own = own_text(text)
    theirs, plan = plan_from(mandate, state, offer_in(own), own_words=own)
    return theirs.amount, plan


def offer_text(plan: Plan, mandate: Mandate) -> str:
    """Plain, safe words for a planned offer: used when the model's own are unusable."""
    assert plan.amount is not None
    price = f"{plan.amount:g} {mandate.currency}"
    if plan.kind == "accept":
        return f"Thank you. We agree on {price}; consider it a deal."
    return f"Thank you for your message. We can offer {price}."


def offer_from_plan(plan: Plan, mandate: Mandate, *, text: str | None = None) -> Offer:
    assert plan.amount is not None
    return Offer(
        text=text or offer_text(plan, mandate),
        amount=plan.amount,
        currency=mandate.currency,
        final=plan.final,
    )


def escalation(
    mandate: Mandate, state: NegotiationState, their_offer: float | None, *, rule: str, reason: str
) -> Escalate:
    """Ask the owner with a summary and ready answers; silence past the deadline does
    nothing (the safe default)."""
    cur = mandate.currency
    theirs_all = (*state.their_offers, *([their_offer] if their_offer is not None else []))
    ours = ", ".join(f"{a:g}" for a in state.our_offers) or "none yet"
    theirs = ", ".join(f"{a:g}" for a in theirs_all) or "none"
    hold = state.our_offers[-1] if state.our_offers else mandate.walk_away
    summary = (
        f"Negotiation under rule '{rule}' ({mandate.side}, target {mandate.target:g} {cur}, "
        f"walk-away {mandate.walk_away:g} {cur}, {state.rounds}/{mandate.max_rounds} rounds "
        f"used). Our offers: {ours}. Theirs: {theirs}. {reason}. "
        f"Proposed answer: hold at {hold:g} {cur}."
    )
    options: list[str] = []
    actions: list[tuple[Action, ...]] = []
    if their_offer is not None:
        options.append(f"Accept their {their_offer:g} {cur}")
        accept = Offer(
            text=f"Thank you. We agree on {their_offer:g} {cur}.",
            amount=their_offer,
            currency=cur,
            final=True,
        )
        actions.append((accept,))
    options.append(f"Hold at {hold:g} {cur}")
    actions.append((Offer(text=f"Our best price remains {hold:g} {cur}.", amount=hold, currency=cur),))
    options.append("Decline politely")
    actions.append((Reply(text="Thank you for your time. We cannot agree on these terms."),))
    options.append("Do nothing")
    actions.append((Ignore(reason="owner chose to do nothing"),))
    return Escalate(
        question=summary,
        reason=reason,
        options=tuple(options),
        option_actions=tuple(actions),
        default_option=len(options) - 1,
        blocked_by=rule,
    )


def they_accepted(state: NegotiationState | None, theirs: float | None, *, answer: str) -> bool:
    """Their message accepts our last offer: it names that very price and reads as an
    acceptance (``Facts.answer``). The deal is then made, on our number."""
    return (
        state is not None
        and bool(state.our_offers)
        and not state.closed
        and theirs is not None
        and answer == "accepts"
        and theirs == state.our_offers[-1]
    )


def advance(
    state: NegotiationState | None,
    *,
    theirs: float | None,
    allowed: Iterable[Action],
    accepted: bool = False,
) -> NegotiationState:
    """The state after one event: their price in it (``their_price``), then our offers
    that the gate let through. Accepting one of their prices closes the deal and is no
    new round; so does their acceptance of ours (``accepted``, see ``they_accepted``)."""
    state = state or NegotiationState()
    if theirs is not None:
        state = replace(state, their_offers=(*state.their_offers, theirs), closed=state.closed or accepted)
    for action in allowed:
        if isinstance(action, Offer):
            accepting = action.amount in state.their_offers
            state = replace(
                state,
                rounds=state.rounds + (0 if accepting else 1),
                our_offers=(*state.our_offers, action.amount),
                closed=state.closed or action.final,
            )
    return state


class GateNegotiation(TypedDict):
    negotiation_rounds: int
    our_offers: tuple[float, ...]
    their_offers: tuple[float, ...]
    negotiation_closed: bool


def gate_fields(state: NegotiationState | None, *, theirs: float | None) -> GateNegotiation:
    """What the worker passes into GateContext for this event (``GateContext(**...)``):
    rounds so far, our offers, theirs including the one in this message, closed."""
    state = state or NegotiationState()
    return GateNegotiation(
        negotiation_rounds=state.rounds,
        our_offers=state.our_offers,
        their_offers=(*state.their_offers, *([theirs] if theirs is not None else [])),
        negotiation_closed=state.closed,
    )


def state_to_json(state: NegotiationState) -> str:
    return json.dumps(
        {
            "rounds": state.rounds,
            "our_offers": list(state.our_offers),
            "their_offers": list(state.their_offers),
            "closed": state.closed,
        }
    )


def state_from_json(raw: str) -> NegotiationState:
    data = json.loads(raw)
    return NegotiationState(
        rounds=int(data.get("rounds", 0)),
        our_offers=tuple(float(a) for a in data.get("our_offers", ())),
        their_offers=tuple(float(a) for a in data.get("their_offers", ())),
        closed=bool(data.get("closed", False)),
    )
