"""bot.rules.template, bot.agent.names and bot.automatic alone: filling a template,
reading a name, telling a robot's mail from a person's."""

from __future__ import annotations

import pytest

from bot.agent.names import addressee
from bot.automatic import automatic_reason
from bot.rules.template import already_sent, problems, render
from tests.core.helpers import mail

EMPTY = {"first_name": "", "name": "", "sender_name": "", "sender": "x@y", "subject": "S"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hello $first_name,\nthanks", "Hello,\nthanks"),
        ("Hello $first_name ,", "Hello,"),
        ("Hi ${first_name}!", "Hi!"),
        ("Dear $first_name\nthanks", "Dear\nthanks"),
        ("$first_name, thanks for writing", "Thanks for writing"),
        ("Hello $first_name and welcome", "Hello and welcome"),
        ("It costs $$50, $first_name.", "It costs $50."),
        ("Thanks, $first_name!", "Thanks!"),
    ],
)
def test_an_empty_name_leaves_no_gap(template: str, expected: str) -> None:
    assert render(template, EMPTY) == expected


def test_a_value_from_mail_cannot_add_a_placeholder() -> None:
    values = {**EMPTY, "first_name": "$signature", "signature": "SECRET"}
    assert render("Hi $first_name", values) == "Hi $signature"


@pytest.mark.parametrize("template", ["Hi $first_name", "Cost: $$5", "${owner_name} / $signature", ""])
def test_valid_templates_have_no_problems(template: str) -> None:
    assert problems(template) == []


@pytest.mark.parametrize(
    ("display", "address", "first", "greeting"),
    [
        ("Dr. Anna Schmidt", "a.schmidt@x.de", "Anna", "Anna"),
        ("Schmidt, Anna", "a@x.de", "Anna", "Anna"),
        ("Schmidt, Dr. Anna", "a@x.de", "Anna", "Anna"),
        ("Prof. Dr. Hans-Peter Groß", "h@x.de", "Hans-Peter", "Hans-Peter"),
        ("ANNA SCHMIDT", "a@x.de", "Anna", "Anna"),
        ("J. Smith", "j@x.com", "", ""),
        ("Mr Smith", "s@x.com", "", ""),
        ("", "ap@acme.com", "", ""),
        ("", "anna.schmidt@x.de", "", ""),
        ("billing@acme.com", "billing@acme.com", "", ""),
        ("Billing Department", "billing@acme.com", "", ""),
        ("ACME Accounts Payable", "ap@acme.com", "", "ACME team"),
        ("The ACME Team", "team@acme.com", "", "ACME team"),
        ("Buchhaltung Müller GmbH", "rechnung@mueller.de", "", "Müller team"),
        ("Service Client", "noreply@boutique.fr", "", ""),
        ("Acme", "info@acme.com", "", ""),
        ("Zoë O'Brien", "zoe@x.ie", "Zoë", "Zoë"),
    ],
)
def test_names_come_from_the_display_name(display: str, address: str, first: str, greeting: str) -> None:
    who = addressee(display, address)
    assert (who.first_name, who.greeting_name) == (first, greeting)


def test_template_sent_with_another_name_is_the_same_template() -> None:
    template = "Hi $first_name,\n\nthanks for reaching out. $owner_name will get back to you.\n$signature"
    sent = render(template, {**EMPTY, "first_name": "Anna", "owner_name": "Alex", "signature": "Alex"})
    assert already_sent(template, [sent])
    assert not already_sent(template, ["Tuesday works, see you then."])
    # Too few words of its own: compared whole, so "Thanks for the update" is not it.
    assert already_sent("Thanks!", ["Thanks!"], rendered="Thanks!")
    assert not already_sent("Thanks!", ["Thanks for the update"], rendered="Thanks!")


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Re: Out of office plans for December", "Who covers for whom while we are away?"),
        ("Meeting next week?", "I'll be out of office Monday, could we meet Tuesday instead?"),
        ("Abwesenheit im Januar", "Ich bin im Januar abwesend, können wir vorher telefonieren?"),
        ("Réponse à votre devis", "Merci pour votre réponse rapide."),
    ],
)
def test_a_person_writing_about_being_away_is_not_a_robot(subject: str, text: str) -> None:
    assert automatic_reason(mail(subject=subject, text=text)) is None


@pytest.mark.parametrize(
    ("subject", "text", "headers"),
    [
        ("Automatic reply: Invoice 7", "", {}),
        ("Automatische Antwort: Termin", "", {}),
        ("Abwesenheitsnotiz: Termin", "", {}),
        ("Hello", "Ceci est une réponse automatique. Je suis absent.", {}),
        ("Hello", "", {"Auto-Submitted": "auto-replied"}),
        ("Hello", "", {"x-autorespond": "yes"}),
    ],
)
def test_robots_are_told_by_headers_subject_or_text(subject: str, text: str, headers: dict[str, str]) -> None:
    assert automatic_reason(mail(subject=subject, text=text, headers=headers)) is not None
