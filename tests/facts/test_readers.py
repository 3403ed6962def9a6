"""The readers one by one: own text, numbers, amounts on hostile input, the store's
context, and what a model may propose."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.events import Event
from bot.facts import Amount, Facts, Offer, Payment, accept, extract, find_amounts, in_context, merge
from bot.facts.numbers import parse
from bot.facts.payment import iban_valid
from bot.facts.text import MAX_SCAN, own_text


def ev(text: str, subject: str = "") -> Event:
    return Event(
        id="email:<r@x>",
        channel="email",
        kind="message",
        thread="t",
        sender="a@vendor.example",
        received_at=datetime(2027, 3, 1, tzinfo=UTC),
        subject=subject,
        text=text,
    )


@pytest.mark.parametrize(
    ("text", "kept", "cut"),
    [
        ("Yes.\n\nOn Tue, 2 Mar 2027, Bob <b@x> wrote:\n> 250 EUR", "Yes.", "250"),
        ("Yes.\n\nOn Tue, 2 Mar 2027 at 10:00, Bob Builder\n<bob@x.example> wrote:\n\nold", "Yes.", "old"),
        ("Ja.\n\nAm 02.03.2027 um 10:00 schrieb Bob <b@x>:\nalt", "Ja.", "alt"),
        ("Oui.\n\nLe mar. 2 mars 2027, Bob <b@x> a écrit :\nvieux", "Oui.", "vieux"),
        ("Sí.\n\nEl mar, 2 mar 2027, Bob <b@x> escribió:\nviejo", "Sí.", "viejo"),
        ("Ok.\n-----Original Message-----\nFrom: x\nSent: y\nold", "Ok.", "old"),
        ("Ok.\n\nVon: Bob\nGesendet: Montag\nAn: Ann\nBetreff: X\n\nalt", "Ok.", "alt"),
        ("Ok.\n\nDe : Bob\nEnvoyé : lundi\nÀ : Ann\nObjet : X\n\nvieux", "Ok.", "vieux"),
        ("Ok.\n________________________________\nFrom: Bob\nold", "Ok.", "old"),
        ("Ok.\n---------- Forwarded message ---------\nFrom: a\nold", "Ok.", "old"),
        ("top\n> quoted\nbottom", "bottom", "quoted"),
    ],
)
def test_own_text_cuts_the_history(text: str, kept: str, cut: str) -> None:
    own = own_text(text)
    assert kept in own
    assert cut not in own


def test_own_text_keeps_a_from_line_that_is_not_a_header_block() -> None:
    assert "From: our Berlin office" in own_text("Greetings.\nFrom: our Berlin office, with love.\nBye")


def test_own_text_normalises_nfkc_and_invisibles() -> None:
    assert own_text("１８４０\u00a0€ new\u200b bank details") == "1840 € new bank details"


@pytest.mark.parametrize(
    ("run", "value"),
    [("1.840,00", "1840.00"), ("1,840.00", "1840.00"), ("1'840.50", "1840.50"), ("0.0042", "0.0042"),
     ("1,5", "1.5"), ("12.345.678", "12345678"), ("1,234.567", "1234.567")],
)  # fmt: skip
def test_number_formats(run: str, value: str) -> None:
    assert parse(run) == Decimal(value)


@pytest.mark.parametrize("run", ["15.03.2027", "1.2.3", "1..2", "12.34.56,7"])
def test_runs_that_fit_no_convention_are_not_numbers(run: str) -> None:
    assert parse(run) is None


def test_find_amounts_for_outgoing_text() -> None:
    found = find_amounts("We accept your offer of 1.840,00 € and will transfer EUR 200 as a deposit.")
    assert [(a.value, a.currency) for a in found] == [(Decimal("1840.00"), "EUR"), (Decimal("200"), "EUR")]
    assert found[1].role == "deposit"


@pytest.mark.parametrize(
    "hostile",
    [
        "1" * 100_000,
        "1," * 50_000,
        "1 " * 50_000,
        "€" * 50_000 + "5",
        ("EUR 1.000.000." * 5000),
        "DE89 " * 20_000,
        "On " + "x " * 50_000 + "wrote:",
        "nine hundred " * 5000 + "euros",
        "\n".join("€ 1" for _ in range(20_000)),
    ],
)
def test_hostile_text_is_bounded(hostile: str) -> None:
    facts = extract(ev(hostile, subject=hostile[:500]))
    assert len(facts.amounts) <= 60
    find_amounts(hostile)


def test_scan_is_capped() -> None:
    text = "Hello.\n" + "a" * (MAX_SCAN + 10) + "\nTotal: 999 EUR"
    assert extract(ev(text)).amounts == ()


def test_iban_checksum() -> None:
    assert iban_valid("DE89 3704 0044 0532 0130 00")
    assert not iban_valid("DE89 3704 0044 0532 0130 01")
    assert not iban_valid("DE89 3704 0044 0532 0130")  # wrong length for DE


def test_in_context_payment_change() -> None:
    facts = extract(ev("IBAN: DE89 3704 0044 0532 0130 00"))
    on_file = in_context(
        facts, wrote_in_thread=True, sender_seen_before=True, payees_on_file=("DE89370400440532013000",)
    )
    assert on_file.payment.changed is False and on_file.in_our_thread and not on_file.first_contact
    other = in_context(
        facts,
        wrote_in_thread=False,
        sender_seen_before=False,
        payees_on_file=("GB82 WEST 1234 5698 7654 32",),
    )
    assert other.payment.changed is True and other.first_contact and not other.in_our_thread
    none = in_context(facts, wrote_in_thread=False, sender_seen_before=True, payees_on_file=())
    assert none.payment.changed is None


def test_in_context_second_iban_beside_the_known_one_is_a_change() -> None:
    facts = extract(ev("IBAN DE89 3704 0044 0532 0130 00 or GB82 WEST 1234 5698 7654 32"))
    ctx = in_context(
        facts, wrote_in_thread=False, sender_seen_before=True, payees_on_file=("DE89370400440532013000",)
    )
    assert ctx.payment.changed is True


def test_in_context_no_details_given_is_none() -> None:
    ctx = in_context(
        extract(ev("Hi")), wrote_in_thread=False, sender_seen_before=True, payees_on_file=("DE89",)
    )
    assert ctx.payment.changed is None


INVOICE = "Invoice INV-9. Total: 1.840,00 EUR, due by 15 March 2027. IBAN DE89 3704 0044 0532 0130 00"


def test_accept_keeps_what_the_text_says() -> None:
    proposed = Facts(
        amounts=(Amount(value=Decimal("1840"), currency="EUR", role="total"),),
        payment=Payment(ibans=("DE89370400440532013000",)),
        due_date=date(2027, 3, 15),
        references=("INV-9",),
        language="en",
    )
    kept = accept(proposed, ev(INVOICE))
    assert kept.amounts == proposed.amounts
    assert kept.payment.ibans == proposed.payment.ibans
    assert kept.due_date == date(2027, 3, 15)
    assert kept.references == ("INV-9",)


def test_accept_drops_what_the_text_does_not_say() -> None:
    proposed = Facts(
        amounts=(Amount(value=Decimal("5"), currency="EUR", role="due"),),
        payment=Payment(ibans=("GB82WEST12345698765432",), payee="Mallory Ltd", changed=False),
        due_date=date(2027, 12, 24),
        references=("INV-666",),
        offer=Offer(value=Decimal("100"), low=Decimal("100"), high=Decimal("100"), currency="EUR"),
        auto="auto_reply",
    )
    kept = accept(proposed, ev(INVOICE + "\n\nOn Mon, Bob wrote:\n> IBAN GB82 WEST 1234 5698 7654 32, 5 EUR"))
    assert kept.amounts == ()
    assert kept.payment.ibans == () and kept.payment.payee == "" and kept.payment.changed is None
    assert kept.due_date is None and kept.references == () and kept.offer is None
    assert kept.auto == ""


def test_accept_takes_a_change_announcement_and_merge_fills_gaps() -> None:
    event = ev("Hello, from next month please pay into the account below.\nIBAN DE89 3704 0044 0532 0130 00")
    proposed = Facts(payment=Payment(announces_change=True), answer="other")
    kept = accept(proposed, event)
    assert kept.payment.announces_change is True
    merged = merge(extract(event), kept)
    assert merged.payment.announces_change and merged.payment.ibans == ("DE89370400440532013000",)


def test_offer_never_comes_from_the_quote() -> None:
    facts = extract(
        ev("Let me think about it.\n\nOn Mon, 1 Mar 2027, Owner <o@x> wrote:\n> Our price is 250 EUR.")
    )
    assert facts.offer is None and facts.amounts == ()


@pytest.mark.parametrize(
    "text",
    [
        "Amount due: EUR 141.05\nDue date: 2026-12-20",
        "Total: 141,05 EUR\nDue: 2026-12-20",
        "Montant à payer : 141,05 €\nDate d'échéance : 20/12/2026",
        "Importe: 141,05 EUR\nFecha de vencimiento: 2026-12-20",
        "Amount due: EUR 141.05\nInvoice date: 2026/12/01",
    ],
)
def test_the_year_of_a_due_date_is_not_an_amount(text: str) -> None:
    """A labelled bare number that is the year of a date must not become a second
    amount due (2026 EUR would push a 141.05 EUR invoice over any small limit)."""
    assert [a.value for a in find_amounts(text)] == [Decimal("141.05")]


def test_a_bare_labelled_total_is_still_read() -> None:
    assert [(a.value, a.role) for a in find_amounts("Total: 1.840,00\nBalance due: 300")] == [
        (Decimal("1840.00"), "total"),
        (Decimal("300"), "due"),
    ]
