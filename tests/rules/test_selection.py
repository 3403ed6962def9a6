"""Which of several matching rules governs (bot.rules.matcher.select): priority first;
among equals, a rule that holds only on a word in the body yields to one that holds on
the subject, the sender, a header or a fact; then file-name order."""

from __future__ import annotations

from pathlib import Path

from bot.owner import OwnerProfile
from bot.rules.loader import parse_rule
from bot.rules.matcher import select
from bot.rules.model import Rule, Rulebook
from tests.core.helpers import mail

MEETINGS = 'when.keywords = ["meeting", "call"]\nmay = ["reply"]\nreply.template = "Thanks."'
SALES = 'when.subject = "(?i)price|quote"\nmay = ["reply"]'
BY_SENDER = 'when.from = ["*@acme.example"]\nwhen.keywords = ["call"]\nmay = ["reply"]'


def rule(name: str, header: str) -> Rule:
    return parse_rule(Path(f"{name}.md"), f"+++\n{header}\n+++\nBody.\n")


def book(*rules: Rule) -> Rulebook:
    return Rulebook(owner=OwnerProfile(), rules=rules)


def names(rules: list[Rule]) -> list[str]:
    return [r.name for r in rules]


def test_a_price_question_that_mentions_a_call_is_the_sales_rules() -> None:
    event = mail(subject="Price for a 2-day workshop", text="Happy to jump on a call if easier.")
    assert names(select(book(rule("a-meetings", MEETINGS), rule("b-sales", SALES)), event)) == [
        "b-sales",
        "a-meetings",
    ]


def test_a_keyword_in_the_subject_keeps_file_name_order() -> None:
    event = mail(subject="Call about your price", text="When suits you?")
    got = names(select(book(rule("a-meetings", MEETINGS), rule("b-sales", SALES)), event))
    assert got == ["a-meetings", "b-sales"]


def test_a_sender_condition_is_about_the_message() -> None:
    event = mail(sender="ann@acme.example", subject="Price list", text="Can we have a call?")
    got = names(select(book(rule("a-acme", BY_SENDER), rule("b-sales", SALES)), event))
    assert got == ["a-acme", "b-sales"]


def test_priority_still_comes_first() -> None:
    urgent = rule("a-meetings", "priority = 5\n" + MEETINGS)
    event = mail(subject="Price for a workshop", text="or a call")
    assert names(select(book(urgent, rule("b-sales", SALES)), event)) == ["a-meetings", "b-sales"]
