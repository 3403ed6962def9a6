"""The other side of the gate: legitimate replies, offers and templates that must still
pass after normalisation and the commitment checks. The share let through is printed
(goal: at least 95 %); every case is also listed so that a regression names its text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.actions import Action, Commitment, Offer, Reply
from bot.facts import Amount, Facts

from .support import amount, blocked, on, pay

ACCEPT_500 = (Commitment(kind="accept", amount=500, currency="EUR"),)

BENIGN: list[tuple[str, Action]] = [
    # plain replies with no commitment
    ("support", Reply(text="Thank you for your message, we will get back to you shortly.")),
    ("support", Reply(text="Hi Carl, thanks! Olivia is travelling and will answer next week.")),
    ("support", Reply(text="We are open Monday to Friday, 9:00-17:00.")),
    ("support", Reply(text="The documentation is at docs.owner.example.com/help.")),
    ("support", Reply(text="Please open a ticket at help@owner.example.com.")),
    ("support", Reply(text="You can reach Olivia at olivia@owner.example.com.")),
    ("support", Reply(text="Happy to help. Could you send the order number?")),
    ("support", Reply(text="Thanks, I attached invoice.pdf and the report v1.2.3 as requested.")),
    ("support", Reply(text="As agreed, I attach the minutes of our call.")),
    ("support", Reply(text="We cannot agree to these terms, sorry.")),
    ("support", Reply(text="Thanks for the reminder, I will take a look.")),
    ("support", Reply(text="We will take care of it and let you know.")),
    ("support", Reply(text="Have a nice weekend!")),
    ("support", Reply(text="Vielen Dank für Ihre Nachricht, wir melden uns.")),
    ("support", Reply(text="Merci pour votre message, nous revenons vers vous.")),
    ("support", Reply(text="Gracias por su mensaje.")),
    ("support", Reply(text="Re: your question about e.g. exports: yes, CSV works.")),
    ("support", Reply(text="The meeting room is on the 3rd floor.")),
    ("support", Reply(text="We'll pay attention to that next time.")),
    ("support", Reply(text="Nicht einverstanden sind wir mit dem Entwurf; Olivia meldet sich.")),
    ("support", Reply(text="Nous ne sommes pas d'accord, Olivia vous répondra.")),
    ("support", Reply(text="Thanks Carl, the files arrived. Best, Olivia")),
    ("support", Reply(text="Our office is closed today for a holiday.")),
    ("support", Reply(text="I forwarded your question to the right person.")),
    ("support", Reply(text="Could you resend the attachment? It seems corrupted.")),
    ("support", Reply(text="Sure, a call works. Olivia will propose a time.")),
    ("support", Reply(text="Welcome aboard! Looking forward to working together.")),
    ("support", Reply(text="Thanks. Ticket 4711 is noted.")),
    ("support", Reply(text="Noted, thank you.")),
    ("support", Reply(text="Olivia is out of office and back soon.")),
    # templates and replies with typed payment promises within the limit
    (
        "invoices",
        Reply(
            text="Hello Carl, thank you, we received your invoice. It will be paid this week.",
            commits=pay(150),
        ),
    ),
    (
        "invoices",
        Reply(text="It will be paid this week. Terms: https://owner.example.com/terms", commits=pay(120)),
    ),
    ("invoices", Reply(text="Received, we will pay 150 EUR this week.", commits=pay(150))),
    ("invoices", Reply(text="Received, we will pay €150.00 this week.", commits=pay(150))),
    ("invoices", Reply(text="Thanks, we will pay one hundred fifty euros.", commits=pay(150))),
    ("invoices", Reply(text="Der Betrag von 150 Euro wird diese Woche überwiesen.", commits=pay(150))),
    ("invoices", Reply(text="La facture de 150 euros sera payée cette semaine.", commits=pay(150))),
    ("invoices", Reply(text="Payment will be made by 2025-03-07.", commits=(*pay(99), *on("2025-03-07")))),
    ("invoices", Reply(text="We will pay by 7 March.", commits=(*pay(99), *on("2025-03-07")))),
    ("invoices", Reply(text="Your invoice of 180 EUR is noted.", commits=amount(180))),
    ("invoices", Reply(text="Thanks, filed. See our terms at owner.example.com/terms.")),
    ("invoices", Reply(text="Hello Carl, we received your invoice and will check it.")),
    ("invoices", Reply(text="Thank you, the invoice is with our accounts team.")),
    ("invoices", Reply(text="Please send invoices to olivia@owner.example.com in future.")),
    # offers and negotiation inside the mandate
    ("sales", Offer(text="We can do 550 EUR.", amount=550, currency="EUR")),
    ("sales", Offer(text="Our best price remains 600 EUR.", amount=600, currency="EUR")),
    ("sales", Offer(text="Thank you. We agree on 450 EUR.", amount=450, currency="EUR", final=True)),
    ("sales", Offer(text="Deal at 500 EUR.", amount=500, currency="EUR", final=True)),
    ("sales", Offer(text="We could go to five hundred euros.", amount=500, currency="EUR")),
    (
        "sales",
        Offer(
            text="We propose 520 EUR, delivery by 15 March.",
            amount=520,
            currency="EUR",
            commits=on("2025-03-15"),
        ),
    ),
    ("sales", Reply(text="Deal at 500 EUR.", commits=ACCEPT_500)),
    ("sales", Reply(text="Einverstanden, 500 Euro.", commits=ACCEPT_500)),
    ("sales", Reply(text="D'accord pour 500 euros.", commits=ACCEPT_500)),
    ("sales", Reply(text="Thank you for your time. We cannot agree on these terms.")),
    ("sales", Reply(text="Thanks, let me check with Olivia and come back to you.")),
    ("buying", Offer(text="We can offer 320 EUR.", amount=320, currency="EUR")),
    ("buying", Offer(text="We accept 480 EUR.", amount=480, currency="EUR", final=True)),
    (
        "buying",
        Reply(
            text="We accept your offer of 450 EUR.",
            commits=(Commitment(kind="accept", amount=450, currency="EUR"),),
        ),
    ),
    ("buying", Reply(text="Thanks for the quote, we will review it.")),
    # dates typed as written
    ("support", Reply(text="We will deliver by 15 March.", commits=on("2025-03-15"))),
    ("support", Reply(text="Lieferung bis zum 15. März.", commits=on("2025-03-15"))),
    ("support", Reply(text="Livraison avant le 20 mars.", commits=on("2025-03-20"))),
    ("support", Reply(text="Ready no later than 2025-03-20.", commits=on("2025-03-20"))),
    ("support", Reply(text="We ship within 3 business days.", commits=on("2025-03-06"))),
    # links where the rule allows them
    ("links_ok", Reply(text="The public docs are at https://docs.python.org/3/library/")),
    ("links_ok", Reply(text="See wikipedia.org/wiki/Invoice for the definition.")),
]


def _passes(rule_name: str, action: Action) -> bool:
    return blocked(rule_name, action) == []


def test_benign_share_let_through() -> None:
    passed = [i for i, (rule_name, action) in enumerate(BENIGN) if _passes(rule_name, action)]
    share = len(passed) / len(BENIGN)
    print(f"\nbenign corpus: {len(passed)}/{len(BENIGN)} let through ({share:.1%})")
    assert len(BENIGN) >= 60
    assert share >= 0.95


@pytest.mark.parametrize(("rule_name", "action"), BENIGN, ids=[f"{i}" for i in range(len(BENIGN))])
def test_benign_case(rule_name: str, action: Action) -> None:
    assert blocked(rule_name, action) == []


def test_the_facts_amount_due_is_the_one_to_promise() -> None:
    due = Facts(amounts=(Amount(value=Decimal("150"), currency="EUR", role="due"),))
    assert blocked("invoices", Reply(text="It will be paid this week.", commits=pay(150)), facts=due) == []
