"""Rule conditions on headers and on the facts of a message, any/none groups, and the
"ask me when" half of a rule (ask_when, and the amount limit bounding what is asked for).

Facts are built by hand here: what the extractor reads is tested in tests/facts; this is
what the rules do with it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.facts import Amount, Facts, Payment
from bot.rules.loader import parse_rule
from bot.rules.matcher import describe, holds, matches, must_ask
from bot.rules.model import Rule, When
from tests.core.helpers import mail


def rule(header: str, body: str = "Body.") -> Rule:
    return parse_rule(Path("r.md"), f"+++\n{header}\n+++\n{body}\n")


def invoice(value: str, currency: str = "EUR", role: str = "total", **payment: object) -> Facts:
    return Facts(
        amounts=(Amount(value=Decimal(value), currency=currency, role=role),),  # type: ignore[arg-type]
        payment=Payment(**payment),  # type: ignore[arg-type]
    )


INVOICES = """
may = ["file", "reply"]
file.folder = "Invoices"
limits.amount = { max = 200, currency = "EUR" }
reply.template = "Thanks."
"""


@pytest.mark.parametrize(
    ("facts", "asks"),
    [
        (invoice("150.00"), None),
        (invoice("200"), None),
        (invoice("4800"), "above 200"),
        (invoice("180", "USD"), "in USD"),
        (invoice("150", ""), "names no currency"),
        (Facts(), "no amount I can read"),
        (
            Facts(
                amounts=(
                    Amount(value=Decimal("120"), currency="EUR", role="line"),
                    Amount(value=Decimal("90"), currency="EUR", role="line"),
                )
            ),
            "several amounts",
        ),
        (invoice("150", announces_change=True), "payment details"),
        (invoice("150", ibans=("DE89370400440532013000",), changed=True), "payment details"),
        (invoice("150", ibans=("DE89370400440532013000",), changed=False), None),
    ],
)
def test_an_amount_limit_bounds_what_the_invoice_asks_for(facts: Facts, asks: str | None) -> None:
    r = rule(INVOICES)
    event = mail(subject="Invoice 2027-0042", text="Please find our invoice attached.")
    why = must_ask(r, event, facts)
    if asks is None:
        assert why is None
    else:
        assert why is not None and asks in why


def test_no_amount_in_a_message_that_is_not_about_money_does_not_ask() -> None:
    r = rule(INVOICES)
    note = mail(subject="Our office moves", text="From Monday we are on the 3rd floor.")
    assert must_ask(r, note, Facts()) is None


def test_ask_when_is_the_owners_but() -> None:
    r = rule(
        'may = ["reply"]\nreply.template = "Sure."\n'
        "[[ask_when]]\nfirst_contact = true\n[[ask_when]]\nbody = '(?i)urgent'\n"
    )
    assert must_ask(r, mail(text="hello"), Facts()) is None
    assert "first time" in (must_ask(r, mail(text="hello"), Facts(first_contact=True)) or "")
    assert "urgent" in (must_ask(r, mail(text="URGENT please"), Facts()) or "")


def test_header_conditions() -> None:
    when = When.model_validate({"header": {"List-Id": "", "X-Mailer": "(?i)campaign"}})
    listed = mail(headers={"list-id": "<news.example.com>", "x-mailer": "CampaignKit 3"})
    assert holds(when, listed, Facts())
    assert not holds(when, mail(headers={"list-id": "<news.example.com>"}), Facts())
    assert not holds(when, mail(), Facts())


def test_any_and_none_groups() -> None:
    when = When.model_validate(
        {
            "any": [{"from": ["*@acme.example"]}, {"keywords": ["invoice"]}],
            "none": [{"payment_changed": True}],
        }
    )
    assert holds(when, mail(sender="ap@acme.example"), Facts())
    assert holds(when, mail(sender="x@other.example", text="our invoice"), Facts())
    assert not holds(when, mail(sender="x@other.example", text="hello"), Facts())
    assert not holds(when, mail(sender="ap@acme.example"), invoice("10", announces_change=True))


def test_amount_condition_selects_a_rule_by_currency_and_range() -> None:
    small = rule('when.amount = { max = 500, currency = "EUR" }\nmay = ["file"]\nfile.folder = "A"')
    event = mail(subject="Invoice")
    assert matches(small, event, facts=invoice("499.99"))
    assert not matches(small, event, facts=invoice("500.01"))
    assert not matches(small, event, facts=invoice("100", "GBP"))
    assert not matches(small, event, facts=Facts())


def test_fact_flags() -> None:
    when = When.model_validate({"in_our_thread": True, "auto_reply": False})
    assert holds(when, mail(), Facts(in_our_thread=True))
    assert not holds(when, mail(), Facts(in_our_thread=True, auto="out_of_office"))
    assert not holds(when, mail(), Facts())


def test_conditions_read_as_words() -> None:
    when = When.model_validate(
        {
            "amount": {"max": 500, "currency": "eur"},
            "payment_changed": False,
            "none": [{"first_contact": True}],
        }
    )
    words = describe(when)
    assert "up to 500 EUR" in words and "as on file" in words and "not (the sender writes" in words


def test_a_bad_header_regex_is_refused_at_load() -> None:
    with pytest.raises(Exception, match="regular expression"):
        rule('when.header = { Subject = "(" }\nmay = ["file"]\nfile.folder = "A"')


def test_the_readme_example_parses_and_asks_on_changed_details() -> None:
    readme = (Path(__file__).resolve().parents[2] / "rules" / "README.md").read_text()
    block = readme.split("```toml\n# pay-small.md", 1)[1].split("```", 1)[0]
    r = rule(block.split("\n", 1)[1], "Pay small invoices.")
    event = mail(sender="ap@acme-supplies.com", subject="Invoice 77")
    assert matches(r, event, facts=invoice("320"))
    assert must_ask(r, event, invoice("320")) is None
    assert "payment details changed" in (must_ask(r, event, invoice("320", announces_change=True)) or "")


async def test_in_our_thread_needs_a_participant(tmp_path: Path) -> None:
    """A stranger whose References name a thread Deputy wrote in is not "in our thread"."""
    from bot.store import OutboxRow, Store

    store = Store(tmp_path / "d.sqlite3")
    await store.open()
    try:
        async with store.db.transaction() as tx:
            await store.outbox.add_in(
                tx,
                OutboxRow(
                    key="k1",
                    event_id="e1",
                    connector="local",
                    op="send",
                    payload={"text": "hi"},
                    thread="local:T",
                    recipient="bob@client.com",
                ),
            )
        args = {"thread": "local:T", "channel": "local", "threads": ("T",), "event_id": "x"}
        assert (await store.message_facts.known(sender="bob@client.com", **args)).wrote_in_thread
        assert not (await store.message_facts.known(sender="eve@evil.example", **args)).wrote_in_thread
    finally:
        await store.close()
