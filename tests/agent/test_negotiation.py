"""Negotiation: the pure strategy, and whole conversations through agent and gate."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.actions import Escalate, Offer
from bot.agent.base import NegotiationState
from bot.agent.llm_agent import LLMAgent
from bot.agent.negotiation import (
    advance,
    gate_fields,
    plan_for,
    propose_counter,
    schedule,
    state_from_json,
    state_to_json,
    their_offer_in,
)
from bot.effects import asking
from bot.gate.policy import PolicyGate
from bot.rules.model import Mandate
from tests.fakes.openai_api import FakeOpenAI, Step, call, text

from .support import context, event, gate_context, rule

SELL = Mandate(side="sell", target=600, walk_away=400, currency="EUR", max_rounds=4)
BUY = Mandate(side="buy", target=300, walk_away=500, currency="EUR", max_rounds=3)


@pytest.mark.parametrize(
    "mandate",
    [
        SELL,
        BUY,
        Mandate(side="sell", target=99.5, walk_away=80.25, currency="USD", max_rounds=5),
        Mandate(side="buy", target=10, walk_away=10, currency="GBP", max_rounds=1),
        Mandate(side="sell", target=1000, walk_away=999, currency="EUR", max_rounds=7),
    ],
)
def test_schedule_moves_from_target_to_walk_away_never_beyond(mandate: Mandate) -> None:
    prices = [schedule(mandate, i) for i in range(mandate.max_rounds)]
    assert (prices[0] == mandate.target and prices[-1] == mandate.walk_away) or mandate.max_rounds == 1
    assert all(p is not None and mandate.acceptable(p) for p in prices)
    assert schedule(mandate, mandate.max_rounds) is None
    for a, b in itertools.pairwise(prices):
        assert a is not None and b is not None and not (b > a if mandate.side == "sell" else b < a)


def test_their_offer_extraction() -> None:
    s = NegotiationState(our_offers=(600,))
    assert their_offer_in("Your 600 EUR is too much; 450 EUR?", mandate=SELL, state=s) == 450
    assert their_offer_in("OK, 600 EUR works", mandate=SELL, state=s) == 600
    assert their_offer_in("We pay 450 USD", mandate=SELL, state=s) is None
    assert their_offer_in("Shipping 5 EUR extra", mandate=SELL, state=s) is None
    assert their_offer_in("we could pay 480", mandate=SELL, state=s) == 480


def test_propose_counter_cases() -> None:
    start = NegotiationState()
    assert propose_counter(SELL, start, None).amount == 600
    assert propose_counter(SELL, start, 700).kind == "accept"
    assert propose_counter(SELL, start, 300).amount == 600
    assert propose_counter(SELL, start, 300, refused=True).kind == "escalate"
    used = NegotiationState(rounds=4, our_offers=(600, 534, 467, 400), their_offers=(300,))
    assert propose_counter(SELL, used, 350).kind == "escalate"
    assert propose_counter(SELL, used, 420) == propose_counter(SELL, used, 420)
    assert propose_counter(SELL, used, 420).kind == "accept"
    assert propose_counter(SELL, NegotiationState(closed=True), 500).kind == "hold"


def test_advance_and_persistence() -> None:
    s = advance(None, theirs=300, allowed=[Offer(text="600 EUR", amount=600, currency="EUR")])
    assert s == NegotiationState(rounds=1, our_offers=(600,), their_offers=(300,))
    s = advance(s, theirs=500, allowed=[Offer(text="500 EUR", amount=500, currency="EUR", final=True)])
    assert s.closed and s.rounds == 1  # accepting their price is no new round
    assert state_from_json(state_to_json(s)) == s
    fields = gate_fields(s, theirs=510)
    assert fields["their_offers"] == (300, 500, 510) and fields["negotiation_closed"]


def plan_follower(greedy: bool = False) -> Any:
    """A model that does what the prompt's negotiation plan says; a greedy one instead
    offers whatever price the counterpart named, as a final deal."""

    def handle(body: dict[str, Any]) -> Step:
        if body["messages"][-1]["role"] == "tool":
            return text("done")
        user = body["messages"][1]["content"]
        theirs = re.search(r"their price in this message: ([\d.]+)", user)
        if greedy and theirs:
            amount = float(theirs[1])
            return call(
                "offer",
                {"text": f"Deal at {amount:g} EUR.", "amount": amount, "currency": "EUR", "final": True},
            )
        plan = re.search(r"call offer with amount=([\d.]+), currency=(\w+), final=(\w+)", user)
        if plan:
            return call(
                "offer",
                {
                    "text": f"Thank you. We can do {plan[1]} {plan[2]}.",
                    "amount": float(plan[1]),
                    "currency": plan[2],
                    "final": plan[3] == "true",
                },
            )
        return call("reply", {"text": "Thank you, we will come back to you."})

    return handle


@dataclass
class Outcome:
    offers: list[Offer] = field(default_factory=list)
    escalations: list[Escalate] = field(default_factory=list)
    state: NegotiationState = field(default_factory=NegotiationState)


async def negotiate(agent: LLMAgent, rule_name: str, texts: list[str]) -> Outcome:
    """What the core does per event: decide, gate, persist state, stop when asked/closed."""
    gate = PolicyGate()
    out = Outcome()
    for i, t in enumerate(texts):
        ctx = context(event(t, subject="price", thread=f"n-{rule_name}"), rule_name, negotiation=out.state)
        decision = await agent.decide(ctx)
        result = gate.check(decision, gate_context(ctx, state=out.state))
        out.offers += [a for a in result.allowed if isinstance(a, Offer)]
        out.escalations += [a for a in result.allowed if isinstance(a, Escalate)]
        blocked = asking.blocked(result, decision)
        if blocked:
            out.escalations.append(blocked)
        m = rule(rule_name).mandate
        assert m is not None
        out.state = advance(out.state, theirs=their_offer_in(t, mandate=m), allowed=result.allowed)
        if out.escalations or out.state.closed:
            assert i == len(texts) - 1, f"ended early at message {i}: {out}"
            break
    return out


OUTSIDE = [
    ("sales", False, ["Would you take 300 EUR?", "Still 300 EUR."]),
    ("sales", False, ["200 EUR?", "250 EUR", "300 EUR", "350 EUR", "380 EUR"]),
    ("sales", False, ["300 EUR is my final offer."]),
    ("sales", False, ["350 EUR?", "Actually only 300 EUR."]),
    ("sales", False, ["200 EUR?", "350 EUR, non-negotiable."]),
    ("sales", True, ["Would you take 300 EUR?"]),
    ("sales", True, ["390 EUR and we sign today"]),
    ("buying", False, ["It costs 800 EUR.", "Still 800 EUR."]),
    ("buying", False, ["900 EUR", "850 EUR", "800 EUR", "700 EUR"]),
    ("buying", False, ["Take it or leave it: 750 EUR."]),
    ("buying", False, ["700 EUR", "750 EUR"]),
    ("buying", True, ["The price is 900 EUR."]),
]


@pytest.mark.parametrize(("rule_name", "greedy", "texts"), OUTSIDE)
async def test_counterpart_outside_mandate_is_escalated(
    fake: FakeOpenAI, agent: LLMAgent, rule_name: str, greedy: bool, texts: list[str]
) -> None:
    fake.handler = plan_follower(greedy=greedy)
    out = await negotiate(agent, rule_name, texts)
    m = rule(rule_name).mandate
    assert m is not None
    assert out.escalations and all(e.blocked_by == rule_name for e in out.escalations)
    assert all(o.currency == m.currency and m.acceptable(o.amount) for o in out.offers)
    assert not out.state.closed
    assert len([o for o in out.offers if o.amount not in out.state.their_offers]) <= m.max_rounds


INSIDE = [
    ("sales", ["300 EUR?", "450 EUR", "500 EUR"], 500),
    ("sales", ["We can pay 650 EUR."], 650),
    ("sales", ["300 EUR?", "OK, 600 EUR works for us."], 600),
    ("sales", ["100 EUR", "150 EUR", "200 EUR", "250 EUR", "410 EUR"], 410),
    ("buying", ["700 EUR", "550 EUR", "450 EUR"], 450),
    ("buying", ["It is 280 EUR."], 280),
]


@pytest.mark.parametrize(("rule_name", "texts", "deal"), INSIDE)
async def test_deal_inside_mandate_closes_without_owner(
    fake: FakeOpenAI, agent: LLMAgent, rule_name: str, texts: list[str], deal: float
) -> None:
    fake.handler = plan_follower()
    out = await negotiate(agent, rule_name, texts)
    m = rule(rule_name).mandate
    assert m is not None
    assert out.escalations == []
    assert out.state.closed and out.offers[-1].final and out.offers[-1].amount == deal
    assert all(m.acceptable(o.amount) for o in out.offers)


async def test_model_numbers_are_replaced_by_the_plan(fake: FakeOpenAI, agent: LLMAgent) -> None:
    # Inside the mandate but off-plan (a needless concession): rewritten to the plan.
    fake.push(call("offer", {"text": "How about 410 EUR? Or 405 EUR.", "amount": 410, "currency": "EUR"}))
    decision = await agent.decide(context(event("300 EUR?", subject="price"), "sales"))
    offer = decision.actions[0]
    assert isinstance(offer, Offer) and offer.amount == 600 and "410" not in offer.text
    assert any("plan says 600" in r for r in decision.reasons)


def test_plan_for_escalates_without_model() -> None:
    theirs, plan = plan_for(SELL, NegotiationState(), "My best and final offer: 250 EUR")
    assert theirs == 250 and plan.kind == "escalate"


async def test_escalation_needs_no_llm_call(fake: FakeOpenAI, agent: LLMAgent) -> None:
    decision = await agent.decide(context(event("300 EUR, final offer", subject="price"), "sales"))
    ask = decision.actions[0]
    assert isinstance(ask, Escalate) and decision.llm_calls == 0 and fake.requests == []
    assert ask.blocked_by == "sales" and "Proposed answer" in ask.question
    assert ask.options[0].startswith("Accept their 300") and ask.default_option == 3


def test_their_price_in_the_mandates_terms() -> None:
    from decimal import Decimal

    from bot.agent.negotiation import their_price
    from bot.facts.model import Offer as Fact

    assert their_price(Fact(value=Decimal(450), currency="EUR"), SELL).amount == 450
    assert their_price(Fact(value=Decimal(450), currency="USD"), SELL).problem.endswith("mandate is in EUR")
    assert their_price(Fact(low=Decimal(420), high=Decimal(480), currency="EUR"), SELL).amount == 420
    assert their_price(Fact(low=Decimal(420), high=Decimal(480), currency="EUR"), BUY).amount == 480
    assert their_price(Fact(value=Decimal(5), currency="EUR"), SELL).amount is None  # not this deal's scale
    assert their_price(Fact(refused=(Decimal(250),), currency="EUR"), SELL).amount is None
    assert their_price(None, SELL) == their_price(Fact(), SELL)


def test_rounds_come_from_the_thread_too() -> None:
    from decimal import Decimal

    from bot.agent.negotiation import from_thread
    from bot.facts.model import Offer as Fact

    theirs = [Fact(value=Decimal(v), currency="EUR") for v in (300, 320)]
    sent = ["We can offer 600 EUR.", "Thank you, noted.", "We can do 534 EUR."]
    s = from_thread(None, mandate=SELL, their_offers=[*theirs, None], sent=sent)
    assert s == NegotiationState(rounds=2, our_offers=(600, 534), their_offers=(300, 320))
    kept = NegotiationState(rounds=3, our_offers=(600, 534, 467), their_offers=(300, 320, 330), closed=True)
    assert from_thread(kept, mandate=SELL, their_offers=theirs, sent=sent) == kept  # bounded read: keep more
    accepted = from_thread(None, mandate=SELL, their_offers=theirs, sent=["We agree on 320 EUR."])
    assert accepted.rounds == 2 and accepted.our_offers == (320,)  # their offers answered count


def test_quoted_price_is_not_theirs() -> None:
    text = "Could you do 380 EUR?\n\nOn Mon, Deputy <deputy@localhost> wrote:\n> We can offer 900 EUR."
    assert their_offer_in(text, mandate=SELL) == 380
    theirs, plan = plan_for(SELL, NegotiationState(our_offers=(900,), rounds=1), text)
    assert theirs == 380 and plan.kind == "counter"
