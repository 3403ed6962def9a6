"""Builders shared by the agent tests: rules from Markdown, events, contexts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

from bot.actions import Decision
from bot.agent.base import AgentContext, NegotiationState
from bot.agent.negotiation import gate_fields, their_price
from bot.events import Event
from bot.facts.extract import extract
from bot.gate.policy import GateContext
from bot.owner import OwnerProfile
from bot.rules.loader import parse_rule
from bot.rules.model import Rule, Rulebook

OWNER = OwnerProfile(
    name="Olivia Owner",
    emails=("olivia@owner.example.com",),
    signature="-- Olivia",
    tone="Short and friendly.",
)
SENDER = "client@acme.example.com"
CANARY = "CANARY-7f3a9-OTHER-CLIENT"
WEBHOOK_URL = "https://hooks.owner.example.com/deputy/T0KEN-SECRET-991"
API_KEY = "sk-test-SECRET-4242"

RULES_MD = {
    "invoices": """+++
when.from = ["*@acme.example.com"]
when.subject = "(?i)invoice"
may = ["file", "reply", "remember", "forward"]
file.folder = "Invoices"
forward.to = ["accounts@owner.example.com"]
limits.amount = { max = 200, currency = "EUR" }
+++
File invoices from Acme. If the amount is under the limit, reply that it will be paid
this week. New bank details: ask me.
""",
    "sales": """+++
when.keywords = ["price", "offer", "quote"]
may = ["reply", "offer", "remember", "follow_up"]
follow_up.after = "3d"
mandate = { side = "sell", target = 600, walk_away = 400, currency = "EUR", max_rounds = 4 }
+++
Sell the consulting package. Be polite, concede slowly.
""",
    "buying": """+++
when.keywords = ["supplier"]
may = ["reply", "offer"]
mandate = { side = "buy", target = 300, walk_away = 500, currency = "EUR", max_rounds = 3 }
+++
Buy the hardware at the best price.
""",
    "hooks": """+++
when.from = ["*@crm.example.com"]
may = ["reply", "webhook", "file"]
webhook.url = "https://hooks.owner.example.com/deputy/T0KEN-SECRET-991"
file.folder = "Clients"
+++
Tell the CRM about new leads and file them.
""",
    "narrow": """+++
when.from = ["*@friends.example.com"]
may = ["reply"]
+++
Reply briefly that Olivia will answer personally.
""",
}


def rule(name: str) -> Rule:
    return parse_rule(Path(f"rules/{name}.md"), RULES_MD[name])


def rulebook() -> Rulebook:
    return Rulebook(owner=OWNER, rules=tuple(rule(n) for n in RULES_MD))


_ids = itertools.count()


def event(
    text: str,
    *,
    subject: str = "Hello",
    sender: str = SENDER,
    thread: str = "t1",
    recipients: tuple[str, ...] = ("olivia@owner.example.com",),
) -> Event:
    return Event(
        id=f"email:<{next(_ids)}@test>",
        channel="email",
        kind="message",
        thread=thread,
        sender=sender,
        sender_name="Carl Client",
        recipients=recipients,
        subject=subject,
        text=text,
        received_at=datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
    )


def context(
    ev: Event,
    rule_name: str | None,
    *,
    history: tuple[Event, ...] = (),
    memory: tuple[tuple[str, str], ...] = (),
    negotiation: NegotiationState | None = None,
) -> AgentContext:
    book = rulebook()
    rules = (book.by_name(rule_name),) if rule_name else ()
    return AgentContext(
        event=ev,
        rules=tuple(r for r in rules if r),
        rulebook=book,
        history=history,
        memory=memory,
        negotiation=negotiation,
        facts=extract(ev),  # as the router reads them
    )


def gate_context(ctx: AgentContext, *, state: NegotiationState | None = None) -> GateContext:
    r = ctx.rule
    extra = {}
    if r is not None and r.mandate is not None:
        theirs = their_price(ctx.facts.offer, r.mandate).amount
        extra = dict(gate_fields(state, theirs=theirs))
    return GateContext(
        event=ctx.event,
        rule=r,
        participants=ctx.event.participants,
        foreign_snippets=(CANARY,),
        owner_addresses=frozenset(OWNER.emails),
        **extra,
    )  # type: ignore[arg-type]


def outbound_texts(decision: Decision) -> list[str]:
    return [repr(a) for a in decision.actions]
