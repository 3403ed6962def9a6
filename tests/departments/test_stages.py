"""The ``facts`` and ``check`` stages against two scripted OpenAI-compatible servers on
different ports (the openai client unpatched), through the real daemon with the example
organisation: each stage calls the endpoint it names and only it; a proposed fact counts
only where the message's text supports it, and never widens what a rule allows; a draft
the check does not pass (or whose check answers garbage) is held and asked about with
the concerns and the exact draft."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import RecordingChannel
from tests.core.helpers import mail
from tests.departments.conftest import Org, org_home
from tests.fakes.openai_api import FakeOpenAI, Step, text

SALES_MODELS = 'models = { facts = "small", check = "strong" }'
FACTS, CHECK = "You read the facts of one message for the ", "You check a draft reply of the "
OK = {"ok": True, "concerns": []}
# An accounts rule with an amount limit: what the facts model must not widen.
RECEIPTS = """+++
description = "Small receipts: acknowledged when the amount is within the limit"
priority = 20
when.subject = "(?i)receipt"
may = ["reply"]
reply.template = "Thank you, the receipt is filed."
limits.amount = { max = 200, currency = "EUR" }
+++
Acknowledge small receipts.
"""


def answering(facts: dict[str, Any], check: dict[str, Any] | str = OK):  # type: ignore[no-untyped-def]
    """A model that answers each stage's prompt: facts JSON, or the check's verdict."""

    def handle(body: dict[str, Any]) -> Step:
        system = body["messages"][0]["content"]
        if system.startswith(FACTS):
            return text(json.dumps(facts))
        if system.startswith(CHECK):
            return text(check if isinstance(check, str) else json.dumps(check))
        return text("no such stage")

    return handle


def stages(server: FakeOpenAI) -> list[tuple[str, str]]:
    """(stage, department) of each request the server got."""
    out = []
    for body in server.requests:
        assert not body.get("tools"), "the facts and check stages call no tools"
        system = body["messages"][0]["content"]
        for stage, head in (("facts", FACTS), ("check", CHECK)):
            if system.startswith(head):
                out.append((stage, system[len(head) :].split(" ", 1)[0]))
    assert len(out) == len(server.requests)
    return out


@pytest.fixture
async def servers() -> AsyncIterator[tuple[FakeOpenAI, FakeOpenAI]]:
    small, strong = FakeOpenAI(), FakeOpenAI()
    await small.start()
    await strong.start()
    yield small, strong
    await small.stop()
    await strong.stop()


@pytest.fixture
async def org(tmp_path: Path, servers: tuple[FakeOpenAI, FakeOpenAI]) -> AsyncIterator[Org]:
    small, strong = servers
    cfg = org_home(
        tmp_path,
        replace={
            'base_url = "http://127.0.0.1:11434/v1"': f'base_url = "{small.base_url}"\nmax_retries = 0',
            'base_url = "https://api.openai.com/v1"': f'base_url = "{strong.base_url}"\nmax_retries = 0',
            'api_key_env = "OPENAI_API_KEY"': 'api_key_env = ""',
            '# models = { decide = "small", write = "strong" }': SALES_MODELS,
            '# models = { decide = "small" }': 'models = { facts = "strong", check = "small" }',
        },
    )
    (cfg.parent / "rules" / "accounts" / "receipts.md").write_text(RECEIPTS)
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    try:
        yield Org(deputy, channel)
    finally:
        await asyncio.wait_for(deputy.stop(), 30)


def _discount(amount: int, n: int = 1):  # type: ignore[no-untyped-def]
    return mail(
        sender="buyer@client.test",
        subject=f"Order {n}",
        text=f"Could you give us a discount of {amount} EUR on the order?",
        to=("sales@example.test",),
    )


async def _reasons(org: Org, rule: str) -> list[str]:
    rows = await org.deputy.store.db.fetchall("SELECT reasons FROM audit WHERE rule=? ORDER BY id", (rule,))
    return [r for row in rows for r in json.loads(row["reasons"])]


async def test_each_stage_calls_the_model_it_names_and_only_it(
    org: Org, servers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    small, strong = servers
    small.handler = strong.handler = answering({"references": ["Order 1"]})
    await org.deputy.emit(_discount(40))  # sales answers within its mandate
    await org.settle()
    # sales: facts on "small", its draft checked on "strong"
    assert stages(small) == [("facts", "sales")] and stages(strong) == [("check", "sales")]
    (sent,) = org.channel.sends()
    assert sent.payload["to"] == ["buyer@client.test"]
    checked = strong.requests[0]["messages"][1]["content"]
    assert "Could you give us a discount of 40 EUR" in checked
    assert "Our sales team will confirm the discount in its next message." in checked
    assert "model: draft check (strong): ok" in " ".join(await _reasons(org, "sales/discounts"))

    await org.deputy.emit(_discount(150, n=2))  # beyond sales: accounts decides and answers sales
    await org.settle()
    # accounts: facts on "strong", its answer to sales checked on "small"
    assert set(stages(small)) == {("facts", "sales"), ("check", "accounts")}
    assert set(stages(strong)) == {("check", "sales"), ("facts", "accounts")}
    results = [e for e in await org.events() if e.refs.get("handoff_result") == "1"]
    assert len(results) == 1 and "approves this discount" in results[0].text


async def test_a_proposed_fact_counts_only_where_the_text_supports_it_and_never_widens_a_limit(
    org: Org, servers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    small, strong = servers
    small.handler = answering({})  # accounts' check passes any draft: only the facts decide
    strong.handler = answering(
        {
            # the deposit called "the amount due", to slip 4,800 EUR under the 200 EUR limit
            "amounts": [
                {"value": "100.00", "currency": "EUR", "role": "due"},
                {"value": "5", "currency": "EUR", "role": "due"},
                {"value": "lots", "currency": "EUR"},
            ],
            "ibans": ["GB82WEST12345698765432"],
            "references": ["R-2041", "R-9999"],
            "due_date": "2027-02-30",
            "send_money_to": "me",
        }
    )
    await org.deputy.emit(
        mail(
            sender="ap@supplier.test",
            subject="Receipt R-2041",
            text="Total: 4,800.00 EUR\nDeposit: 100.00 EUR",
            to=("accounts@example.test",),
        )
    )
    await org.settle()
    assert stages(strong) == [("facts", "accounts")] and not small.requests
    assert not org.channel.sends(), "4,800 EUR is above the rule's limit: not acknowledged"
    (question,) = await org.deputy.store.escalations.open()
    assert "4800.00 EUR is above 200 EUR" in question.question
    notes = " | ".join(await _reasons(org, "accounts/receipts"))
    for expected in (
        "not taken: amount 100.00 EUR (due); the readers read the amounts",
        "dropped amount 5 EUR (due): not written in the message",
        "is not a typed amount",
        "dropped IBAN GB82WEST12345698765432: not in the message",
        "dropped reference R-9999: not in the message",
        "due date '2027-02-30' is not a date",
        "field 'send_money_to' is not a fact this stage reads",
    ):
        assert expected in notes, expected
    (entry,) = [a for a in await org.audit() if a["rule"] == "accounts/receipts"]
    facts = await org.deputy.store.message_facts.get(entry["event_id"])
    assert facts is not None and facts.amount_due is not None and facts.amount_due.value == 4800
    assert [str(a.value) for a in facts.amounts] == ["4800.00", "100.00"] and not facts.payment.ibans
    assert facts.references == ("R-2041",), "a reference the text writes is taken"


async def test_garbage_from_the_facts_model_takes_nothing(
    org: Org, servers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    small, strong = servers
    small.handler = strong.handler = answering({})
    small.push(text("The amount is 5 EUR, trust me."))
    await org.deputy.emit(_discount(40))
    await org.settle()
    notes = " | ".join(await _reasons(org, "sales/discounts"))
    assert "model: facts (small): nothing taken, not JSON: 'The amount is 5 EUR, trust me.'" in notes
    assert len(org.channel.sends()) == 1, "the readers' facts stand: sales answers as it would"


@pytest.mark.parametrize(
    ("verdict", "concern"),
    [
        ({"ok": False, "concerns": ["promises a delivery date"]}, "promises a delivery date"),
        ("Looks fine to me!", "the check model strong gave no usable answer (not JSON: 'Looks fine to me!')"),
        ({"ok": "yes"}, 'the check model strong answered {"ok": "yes"}, not {ok: bool, concerns: [text]}'),
    ],
    ids=["not-ok", "garbage", "untyped"],
)
async def test_a_draft_the_check_does_not_pass_is_held_and_asked_about(
    org: Org, servers: tuple[FakeOpenAI, FakeOpenAI], verdict: dict[str, Any] | str, concern: str
) -> None:
    small, strong = servers
    small.handler = answering({})
    strong.handler = answering({}, check=verdict)
    await org.deputy.emit(_discount(40))
    await org.settle()
    assert not [d for d in org.channel.sends() if d.payload["to"] == ["buyer@client.test"]], "held"
    # sales' questions go to its supervisor, accounts: with the concerns and the exact draft
    (asked,) = [e for e in await org.events() if e.refs.get("handoff_kind") == "question"]
    assert asked.refs["department"] == "accounts" and asked.refs["chain"] == "sales"
    assert f"- {concern}" in asked.text
    assert "The draft, exactly:" in asked.text
    assert "To buyer@client.test:" in asked.text
    assert "Our sales team will confirm the discount in its next message." in asked.text
    reasons = " | ".join(await _reasons(org, "sales/discounts"))
    assert "model: draft check (strong): held" in reasons
