"""Negotiation inside a mandate: pure functions, no model, no I/O.

The model writes the words; these functions decide the numbers. The agent asks
``plan_for`` what the next move is and tells the model; an offer inside the mandate with
a number other than the planned one is replaced by the planned one, while an offer beyond
the mandate is left for the policy gate to block (so that the escalation names the rule).
The core keeps ``NegotiationState`` per thread and moves it on with ``advance`` after the
gate, with what the gate actually allowed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal, TypedDict

from bot.actions import Action, Escalate, Ignore, Offer, Reply
from bot.agent.base import NegotiationState
from bot.gate.textscan import money_in
from bot.rules.model import Mandate

PlanKind = Literal["counter", "accept", "escalate", "hold"]

# Words with which a counterpart says they will not move any more.
REFUSAL_RE = re.compile(
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


def their_offer_in(text: str, *, mandate: Mandate, state: NegotiationState) -> float | None:
    """The counterpart's price in their text: amounts in the mandate's currency (or after
    a payment word) within a plausible band, preferring one that is not merely a quote of
    our own earlier offer; the last such amount wins."""
    low = min(mandate.target, mandate.walk_away) / 4
    high = max(mandate.target, mandate.walk_away) * 4
    cur = mandate.currency.upper()
    candidates = [a for a, c in money_in(text) if c in ("", cur) and low <= a <= high]
    fresh = [a for a in candidates if a not in state.our_offers]
    if fresh:
        return fresh[-1]
    return candidates[-1] if candidates else None


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


def plan_for(mandate: Mandate, state: NegotiationState, text: str) -> tuple[float | None, Plan]:
    """Extract their offer from ``text`` and plan the move, in one call."""
    theirs = their_offer_in(text, mandate=mandate, state=state)
    return theirs, propose_counter(mandate, state, theirs, refused=bool(REFUSAL_RE.search(text)))


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


def advance(
    state: NegotiationState | None,
    *,
    mandate: Mandate,
    their_text: str,
    allowed: Iterable[Action],
) -> NegotiationState:
    """The state after one event: their offer from their text, then our offers that the
    gate let through. Accepting one of their prices closes the deal and is no new round."""
    state = state or NegotiationState()
    theirs = their_offer_in(their_text, mandate=mandate, state=state)
    if theirs is not None:
        state = replace(state, their_offers=(*state.their_offers, theirs))
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


def gate_fields(state: NegotiationState | None, *, mandate: Mandate, their_text: str) -> GateNegotiation:
    """What the worker passes into GateContext for this event (``GateContext(**...)``):
    rounds so far, our offers, theirs including the one in this message, closed."""
    state = state or NegotiationState()
    theirs = their_offer_in(their_text, mandate=mandate, state=state)
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
