"""The gate's check of MCP tool calls against a rule's ``[tools]`` constraints, and the
rule loader's errors for a bad ``[tools]`` table (no server, no daemon)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.actions import Decision, ToolCall
from bot.agent.base import AgentContext
from bot.agent.rules_only import RulesOnlyAgent
from bot.errors import ConfigError
from bot.events import Event
from bot.gate.policy import GateContext, PolicyGate
from bot.owner import OwnerProfile
from bot.rules.loader import parse_rule
from bot.rules.model import Rulebook

HEADER = """+++
may = ["mcp:accounting.create_invoice", "mcp:crm.add_note"]
[tools."accounting.create_invoice"]
amount = { max = 500, currency = "EUR" }
status = { values = ["draft", "sent"], required = false }
customer = { pattern = "^[A-Za-z ]{1,40}$" }
+++
Invoice agreed work.
"""

EVENT = Event(
    id="email:<1@x>",
    channel="email",
    kind="message",
    thread="t",
    sender="ann@client.example",
    received_at=datetime(2026, 12, 1, tzinfo=UTC),
)


def _gate(action: ToolCall, header: str = HEADER) -> str | None:
    rule = parse_rule(Path("rules/accounting.md"), header)
    ctx = GateContext(event=EVENT, rule=rule, participants=frozenset({"ann@client.example"}))
    result = PolicyGate().check(Decision(actions=(action,), rule=rule.name), ctx)
    return result.blocked[0][1] if result.blocked else None


def _invoice(**arguments: Any) -> ToolCall:
    base: dict[str, Any] = {"customer": "Acme Ltd", "amount": 480, "currency": "EUR"}
    return ToolCall(server="accounting", tool="create_invoice", arguments={**base, **arguments})


def test_a_call_within_the_constraints_passes() -> None:
    assert _gate(_invoice()) is None
    assert _gate(_invoice(status="draft")) is None
    assert _gate(ToolCall(server="crm", tool="add_note", arguments={"text": "anything"})) is None


@pytest.mark.parametrize(
    ("arguments", "why"),
    [
        ({"amount": 500.01}, "exceeds the limit of 500 EUR"),
        ({"amount": "480"}, "must be a number"),
        ({"amount": True}, "must be a number"),
        ({"currency": "USD"}, "the call says currency 'USD'"),
        ({"status": "paid"}, "is not one of"),
        ({"status": 1}, "is not one of"),
        ({"customer": "Acme\nLtd"}, "does not match"),
        ({"customer": 7}, "must be text"),
    ],
)
def test_a_call_outside_the_constraints_is_blocked(arguments: dict[str, Any], why: str) -> None:
    reason = _gate(_invoice(**arguments))
    assert reason is not None and why in reason


def test_a_missing_constrained_argument_is_blocked() -> None:
    call = ToolCall(
        server="accounting", tool="create_invoice", arguments={"customer": "Acme", "currency": "EUR"}
    )
    assert "argument 'amount' is missing" in (_gate(call) or "")


def test_a_tool_the_rule_does_not_name_is_blocked() -> None:
    reason = _gate(ToolCall(server="accounting", tool="record_payment", arguments={"amount": 1}))
    assert reason == "'mcp:accounting.record_payment' is not in the rule's 'may' list"


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ('may = ["mcp:acc"]', "may"),
        ('may = []\n[tools."acc.x"]\na = { max = 1 }', "is not in 'may'"),
        ('may = ["mcp:acc.x"]\n[tools."acc.x"]\na = { max = 1, colour = 2 }', "colour"),
        ('may = ["mcp:acc.x"]\n[tools."acc.x"]\na = { min = 5, max = 1 }', "min must not be above max"),
        ('may = ["mcp:acc.x"]\n[tools."acc.x"]\na = { pattern = "(" }', "invalid regular expression"),
        ('may = ["mcp:acc.x"]\n[tools."acc.x"]\na = { currency = "EUR" }', "currency goes with min or max"),
    ],
)
def test_a_bad_tools_table_names_the_file_and_the_problem(header: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_rule(Path("rules/acc.md"), f"+++\n{header}\n+++\nbody\n")
    assert "rules/acc.md" in str(err.value) and problem in str(err.value)


CALLING = """+++
may = ["mcp:crm.add_note"]
[call."crm.add_note"]
contact = "$sender"
text = "Wrote about: $subject"
priority = 2
[tools."crm.add_note"]
contact = { pattern = "@client\\\\.example$" }
+++
"""


async def test_rules_only_calls_a_tool_with_templated_arguments_under_the_gate() -> None:
    rule = parse_rule(Path("rules/crm.md"), CALLING)
    book = Rulebook(owner=OwnerProfile(), rules=(rule,))
    event = replace(EVENT, subject="renewal")
    decision = await RulesOnlyAgent().decide(AgentContext(event=event, rules=(rule,), rulebook=book))
    assert decision.actions == (
        ToolCall(
            server="crm",
            tool="add_note",
            arguments={"contact": "ann@client.example", "text": "Wrote about: renewal", "priority": 2},
        ),
    )
    assert _gate(decision.actions[0], CALLING) is None
    stranger = replace(event, sender="eve@elsewhere.example")
    decision = await RulesOnlyAgent().decide(AgentContext(event=stranger, rules=(rule,), rulebook=book))
    assert "does not match" in (_gate(decision.actions[0], CALLING) or "")


def test_a_call_template_with_an_unknown_placeholder_is_an_error() -> None:
    bad = CALLING.replace("$subject", "$subjct")
    with pytest.raises(ConfigError, match="subjct"):
        parse_rule(Path("rules/crm.md"), bad)
