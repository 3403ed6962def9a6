"""The example organisation through the real daemon: routing in by address, hand-offs
that become exactly one event at the target, results back, escalation by role."""

from __future__ import annotations

from bot.desks.digest import build_digest
from tests.core.helpers import mail
from tests.departments.conftest import Org


def _for(events, department):  # type: ignore[no-untyped-def]
    return [e for e in events if e.id.startswith("departments:") and e.refs.get("department") == department]


async def test_an_invoice_at_sales_goes_to_accounts_which_asks_the_owner(org: Org) -> None:
    await org.deputy.emit(
        mail(
            sender="ap@supplier.test",
            subject="Invoice 2041",
            text="Please pay 240.00 EUR by 2027-01-10.",
            to=("sales@example.test",),
        )
    )
    await org.settle()
    events = await org.events()
    (handed,) = _for(events, "accounts")
    assert handed.refs["handoff_kind"] == "task" and handed.refs["chain"] == "sales"
    assert "Constraint: sales approves no payment" in handed.text
    audit = await org.audit()
    assert audit[0]["rule"] == "sales/invoices"
    assert audit[0]["actions"][0].startswith("handed off to accounts (sales -> accounts)")
    (question,) = await org.deputy.store.escalations.open()
    assert question.rule == "accounts/invoices"  # the accounts rule asked, not sales
    assert "(asked by sales -> accounts -> owner)" in question.question
    assert handed.sender == "ap@supplier.test", "accounts works on the supplier's conversation"
    assert not org.channel.sends(), "nothing left for the supplier: the owner decides first"

    await org.answer(question.id, "1")  # the accounts rule's plan, approved
    await org.settle()
    (sent,) = org.channel.sends()
    assert sent.payload["to"] == ["ap@supplier.test"]  # accounts answered in the supplier's thread
    assert "Accounts, Example Ltd" in sent.payload["text"]
    results = [e for e in _for(await org.events(), "sales") if e.refs.get("handoff_result") == "1"]
    assert [r.sender for r in results] == ["accounts@departments.invalid"] * 2
    assert "asked the owner" in results[0].text and "reply to ap@supplier.test" in results[1].text
    assert not await org.deputy.store.escalations.open()


async def test_a_discount_beyond_the_sales_mandate_is_decided_by_accounts(org: Org) -> None:
    await org.deputy.emit(
        mail(
            sender="buyer@client.test",
            subject="Order 77",
            text="Could you give us a discount of 150 EUR on the order?",
            to=("sales@example.test",),
        )
    )
    await org.settle()
    events = await org.events()
    (asked,) = _for(events, "accounts")
    assert asked.refs["handoff_kind"] == "question"
    assert asked.text.startswith("Could you give us a discount of 150 EUR")  # the buyer's words first
    audit = {a["event_id"]: a for a in await org.audit()}
    assert audit[asked.id]["rule"] == "accounts/discounts"  # within the accounts mandate
    results = [e for e in _for(events, "sales") if e.refs.get("handoff_result") == "1"]
    assert len(results) == 1 and "approves this discount" in results[0].text
    assert not await org.deputy.store.escalations.open(), "decided by accounts: the owner is not asked"
    assert not org.channel.sends(), "sales waits for the result; it sends the buyer nothing yet"

    digest = await build_digest(org.deputy.store, owner=org.deputy.rules().owner, since=0.0)
    moved = digest.text.split("Hand-offs between departments", 1)[1].split("\n\n", 1)[0]
    assert "asked accounts (sales -> accounts)" in moved and "[rule sales/discounts]" in moved


async def test_a_discount_within_the_sales_mandate_stays_at_sales(org: Org) -> None:
    await org.deputy.emit(
        mail(
            sender="buyer@client.test",
            subject="Order 78",
            text="Could you give us a discount of 40 EUR on the order?",
            to=("sales@example.test",),
        )
    )
    await org.settle()
    assert not _for(await org.events(), "accounts")
    (sent,) = org.channel.sends()
    assert sent.payload["to"] == ["buyer@client.test"]
    assert "Sales, Example Ltd" in sent.payload["text"]  # the department's signature
    assert (sent.payload["from_addr"], sent.payload["from_name"]) == (
        "sales@example.test",
        "Example Ltd Sales",
    )


async def test_beyond_every_departments_mandate_the_owner_is_asked_naming_the_chain(org: Org) -> None:
    await org.deputy.emit(
        mail(
            sender="buyer@client.test",
            subject="Order 79",
            text="Could you give us a discount of 900 EUR on the order?",
            to=("sales@example.test",),
        )
    )
    await org.settle()
    (question,) = await org.deputy.store.escalations.open()
    assert question.event.refs["department"] == "accounts"
    assert "(asked by sales -> accounts -> owner)" in question.question


async def test_the_front_triages_and_the_target_answers_the_conversation(org: Org) -> None:
    await org.deputy.emit(
        mail(
            sender="new@client.test",
            subject="Prices",
            text="What is your price for 3 days?",
            to=("front@example.test",),
        )
    )
    # Addressed to no department: the front department's work.
    await org.deputy.emit(
        mail(
            sender="ap@supplier.test",
            subject="Invoice 9",
            text="Total due: 80.00 EUR",
            to=("billing@else.test",),
        )
    )
    await org.settle()
    audit = {a["rule"]: a for a in await org.audit()}
    assert "front/inquiries" in audit and "front/invoices" in audit
    events = await org.events()
    (inquiry,) = _for(events, "sales")
    assert inquiry.refs["chain"] == "front" and inquiry.sender == "new@client.test"
    assert [e.refs["chain"] for e in _for(events, "accounts")] == ["front"]
    (ack,) = org.channel.sends()  # sales answered the customer, in the customer's thread
    assert ack.payload["to"] == ["new@client.test"] and "Sales, Example Ltd" in ack.payload["text"]
    results = [e for e in _for(events, "front") if e.refs.get("handoff_result") == "1"]
    by_sender = {r.sender: r for r in results}
    assert sorted(by_sender) == ["accounts@departments.invalid", "sales@departments.invalid"]
    from_sales = by_sender["sales@departments.invalid"]
    assert from_sales.refs["chain"] == "front>sales" and "reply to new@client.test" in from_sales.text


async def test_mail_to_a_departments_address_is_that_departments_work(org: Org) -> None:
    await org.deputy.emit(
        mail(
            sender="ap@supplier.test",
            subject="Invoice 12",
            text="Total due: 80.00 EUR",
            to=("accounts@example.test",),
        )
    )
    await org.settle()
    (question,) = await org.deputy.store.escalations.open()
    assert question.rule == "accounts/invoices"
    assert "(asked by accounts -> owner)" in question.question
    assert not [e for e in await org.events() if e.channel == "departments"]


async def test_outside_mail_wearing_a_departments_address_is_refused(org: Org) -> None:
    # accounts' discount rule trusts mail from sales' internal address: a forged From
    # must not reach it.
    await org.deputy.emit(
        mail(
            sender="sales@departments.invalid",
            subject="Order 80",
            text="Could you give us a discount of 400 EUR on the order?",
            to=("accounts@example.test",),
        )
    )
    await org.settle()
    (entry,) = await org.audit()
    assert entry["outcome"] == "refused" and not org.channel.sends()
    assert not await org.deputy.store.escalations.open()


async def test_work_inside_the_organisation_is_not_held_by_the_send_budget(org: Org) -> None:
    """Accounts answers sales more often than limits.sends_per_correspondent (10) allows
    for a person: that budget guards people and other bots, not the departments."""
    for n in range(12):
        await org.deputy.emit(
            mail(
                sender=f"buyer{n}@client.test",
                subject=f"Order {n}",
                text="Could you give us a discount of 150 EUR on the order?",
                to=("sales@example.test",),
            )
        )
    await org.settle()
    results = [e for e in _for(await org.events(), "sales") if e.refs.get("handoff_result") == "1"]
    assert len(results) == 12
    assert not await org.deputy.store.escalations.open()
