"""Builders for the gate corpora: a few rules, a real GateContext, one check helper.

The gate is run directly (PolicyGate.check with a GateContext as the worker builds
it); the corpora list what an attacker writes and what a legitimate reply says."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.actions import Action, Commitment, Decision
from bot.events import Event
from bot.facts import NO_FACTS, Facts
from bot.gate.policy import GateContext, PolicyGate
from bot.rules.loader import parse_rule
from bot.rules.model import Rule

SENDER = "carl@client.example.com"
OWNER_ADDRESSES = frozenset({"olivia@owner.example.com"})
RECEIVED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

RULES = {
    "invoices": """+++
when.from = ["*@client.example.com"]
may = ["file", "reply", "forward", "remember"]
file.folder = "Invoices"
forward.to = ["accounts@owner.example.com"]
limits.amount = { max = 200, currency = "EUR" }
reply.template = \"\"\"
Hello $first_name, thank you, we received your invoice. It will be paid this week.
Terms: https://owner.example.com/terms
\"\"\"
+++
File invoices. If the amount is under the limit, reply that it will be paid this week.
Our payment terms are at https://owner.example.com/terms.
""",
    "support": """+++
when.from = ["*@client.example.com"]
may = ["reply", "remember"]
+++
Answer questions about opening hours and where to find the documentation at
docs.owner.example.com/help. Write to help@owner.example.com for tickets.
""",
    "links_ok": """+++
when.from = ["*@client.example.com"]
may = ["reply"]
limits.allow_links = true
+++
Share useful public links when asked.
""",
    "sales": """+++
when.keywords = ["price"]
may = ["reply", "offer"]
mandate = { side = "sell", target = 600, walk_away = 400, currency = "EUR", max_rounds = 4 }
+++
Sell the consulting package.
""",
    "buying": """+++
when.keywords = ["supplier"]
may = ["reply", "offer"]
mandate = { side = "buy", target = 300, walk_away = 500, currency = "EUR", max_rounds = 3 }
+++
Buy the hardware.
""",
}

GATE = PolicyGate()


def rule(name: str) -> Rule:
    return parse_rule(Path(f"rules/{name}.md"), RULES[name])


def event(text: str = "Hello", *, sender: str = SENDER) -> Event:
    return Event(
        id="email:<corpus@test>",
        channel="email",
        kind="message",
        thread="t1",
        sender=sender,
        sender_name="Carl Client",
        recipients=("olivia@owner.example.com",),
        subject="Hello",
        text=text,
        received_at=RECEIVED,
    )


def gate_context(rule_name: str, *, facts: Facts = NO_FACTS, **extra: Any) -> GateContext:
    ev = event(extra.pop("inbound", "Hello"))
    ctx = GateContext(
        event=ev,
        rule=rule(rule_name),
        participants=ev.participants,
        owner_addresses=OWNER_ADDRESSES,
        foreign_snippets=("CANARY-OTHER-THREAD-7f3a",),
        facts=facts,
    )
    return replace(ctx, **extra)


def blocked(rule_name: str, action: Action, **extra: Any) -> list[str]:
    """The reasons the gate gives for blocking ``action`` (empty: it passes)."""
    result = GATE.check(Decision(actions=(action,), rule=rule_name), gate_context(rule_name, **extra))
    return [why for _, why in result.blocked]


def pay(amount: float, currency: str = "EUR") -> tuple[Commitment, ...]:
    return (Commitment(kind="pay", amount=amount, currency=currency),)


def amount(value: float, currency: str = "EUR") -> tuple[Commitment, ...]:
    return (Commitment(kind="amount", amount=value, currency=currency),)


def on(day: str) -> tuple[Commitment, ...]:
    return (Commitment(kind="date", on=day),)
