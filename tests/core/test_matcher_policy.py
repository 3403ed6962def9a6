"""Rule matching and the policy gate on the rules-only path."""

from __future__ import annotations

from pathlib import Path

from bot.actions import Commitment, Decision, File, Forward, Reply
from bot.agent.base import AgentContext
from bot.agent.rules_only import RulesOnlyAgent
from bot.effects import asking
from bot.gate.policy import GateContext, PolicyGate
from bot.rules import load_rulebook
from bot.rules.loader import parse_rule
from bot.rules.matcher import select
from tests.core.helpers import mail

ROOT = Path(__file__).resolve().parents[2]
BOOK = load_rulebook(ROOT / "rules")


def rule(text: str, name: str = "r"):
    return parse_rule(Path(f"{name}.md"), text)


def test_first_matching_rule_by_priority() -> None:
    event = mail(sender="ap@acme-supplies.com", subject="Invoice 42")
    assert select(BOOK, event)[0].name == "invoices"


def test_no_match_for_unrelated_mail() -> None:
    assert select(BOOK, mail(sender="x@y.com", subject="lunch?", text="hungry")) == []


def test_conditions_are_anded() -> None:
    r = rule('+++\nwhen.from = ["*@a.com"]\nwhen.keywords = ["urgent"]\nmay = ["ignore"]\n+++\n')
    from bot.rules.matcher import matches

    assert matches(r, mail(sender="x@a.com", text="this is URGENT"))
    assert not matches(r, mail(sender="x@a.com", text="urgently"))  # whole words
    assert not matches(r, mail(sender="x@b.com", text="urgent"))


async def test_rules_only_invoice_files_and_replies() -> None:
    event = mail(sender="ap@acme-supplies.com", subject="Invoice 42")
    ctx = AgentContext(event=event, rules=tuple(select(BOOK, event)), rulebook=BOOK)
    decision = await RulesOnlyAgent().decide(ctx)
    kinds = [type(a).__name__ for a in decision.actions]
    assert kinds == ["File", "Reply"]
    reply = decision.actions[1]
    assert isinstance(reply, Reply) and "Invoice 42" in reply.text and "Alex Example" in reply.text


async def test_no_rule_escalates() -> None:
    event = mail(subject="something new")
    decision = await RulesOnlyAgent().decide(AgentContext(event=event, rules=(), rulebook=BOOK))
    assert type(decision.actions[0]).__name__ == "Escalate"


def gate(decision: Decision, event, r, **kw):
    return PolicyGate().check(
        decision, GateContext(event=event, rule=r, participants=event.participants, **kw)
    )


def test_gate_blocks_actions_outside_may() -> None:
    r = rule('+++\nmay = ["file"]\nfile.folder = "A"\n+++\n')
    event = mail()
    result = gate(Decision(actions=(Reply(text="hi"), File(folder="A")), rule="r"), event, r)
    assert [type(a).__name__ for a in result.allowed] == ["File"]
    assert "not in the rule's 'may'" in result.blocked[0][1]
    assert asking.blocked(result, Decision(actions=(), rule="r")) is not None


def test_gate_blocks_strangers_folders_amounts_links() -> None:
    r = rule(
        '+++\nmay = ["reply", "forward", "file"]\nfile.folder = "A"\nforward.to = ["acc@x.com"]\n'
        'limits.amount = { max = 200, currency = "EUR" }\n+++\n'
    )
    event = mail()
    bad = (
        Reply(text="ok", to=("evil@attacker.com",)),
        Forward(to=("evil@attacker.com",)),
        File(folder="B"),
        Reply(text="we will pay 5000 EUR"),
        Reply(text="click https://evil.example/pay"),
        Reply(text="we will pay 150 EUR"),  # a promise in free text without its typed field
    )
    result = gate(Decision(actions=bad, rule="r"), event, r)
    assert result.allowed == ()
    typed = (Commitment(kind="pay", amount=150, currency="EUR"),)
    good = (Reply(text="we will pay 150 EUR", commits=typed), Forward(to=("acc@x.com",)), File(folder="A"))
    assert len(gate(Decision(actions=good, rule="r"), event, r).allowed) == 3


def test_gate_reply_cap() -> None:
    r = rule('+++\nmay = ["reply"]\n+++\n')
    event = mail()
    result = gate(
        Decision(actions=(Reply(text="a"), Reply(text="b")), rule="r"),
        event,
        r,
        replies_in_thread_24h=2,
        replies_per_thread_cap=3,
    )
    assert len(result.allowed) == 1 and "reply cap" in result.blocked[0][1]
