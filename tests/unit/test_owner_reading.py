"""The deterministic reading of an owner's answer (bot/owner_words/reading.py)."""

from __future__ import annotations

import pytest

from bot.owner_words.reading import Choice, Instruct, Policy, Send, Unclear, only_handle, read

YES_NO = {"options": ("Do it anyway", "Do nothing"), "yes_option": 0, "no_option": 1}
OPEN = {"options": ("Do nothing",), "yes_option": None, "no_option": 0}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("yes", Choice(index=0)),
        ("ja", Choice(index=0)),
        ("oui", Choice(index=0)),
        ("no", Choice(index=1)),
        ("2", Choice(index=1)),
        ("Do nothing", Choice(index=1)),
        ("reply: We accept.", Send(text="We accept.")),
    ],
)
def test_options_and_explicit_text(answer: str, expected: object) -> None:
    assert read(answer, **YES_NO) == expected  # type: ignore[arg-type]


def test_ok_to_a_question_that_is_not_yes_or_no_is_unclear() -> None:
    assert isinstance(read("ok", **OPEN), Unclear)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "amount"),
    [
        ("yes, but only 850", 850),
        ("ja, aber nur 850", 850),
        ("oui, mais seulement 850", 850),
        ("Offer 950 EUR", 950),
    ],
)
def test_a_price(answer: str, amount: float) -> None:
    found = read(answer, **YES_NO)  # type: ignore[arg-type]
    assert isinstance(found, Instruct) and found.intent == "offer" and found.amount == amount


@pytest.mark.parametrize(
    ("answer", "bound"),
    [
        (
            "Always pay invoices from them if under 500 EUR, otherwise ask me",
            {"max": 500.0, "currency": "EUR"},
        ),
        ("Immer bezahlen, wenn unter 500 €, sonst frag mich.", {"max": 500.0, "currency": "EUR"}),
        ("Toujours payer si moins de 1 000 euros, sinon demande-moi.", {"max": 1000.0, "currency": "EUR"}),
    ],
)
def test_policy_keeps_its_amount_condition(answer: str, bound: dict[str, object]) -> None:
    found = read(answer, **YES_NO)  # type: ignore[arg-type]
    assert isinstance(found, Policy) and found.now == Choice(index=0) and found.amount == bound
    assert not found.never and not found.unreadable


def test_policy_with_an_amount_but_no_currency_is_not_guessed() -> None:
    found = read("Always pay them if under 500", **YES_NO)  # type: ignore[arg-type]
    assert isinstance(found, Policy) and found.unreadable


def test_never_is_never_the_opposite() -> None:
    found = read("Never reply to them.", **YES_NO)  # type: ignore[arg-type]
    assert isinstance(found, Policy) and found.never


def test_forward_notes_that_only_say_handle_it() -> None:
    assert only_handle("Please handle this.") and only_handle("Bitte erledigen.")
    assert not only_handle("offer them 950 EUR") and not only_handle("tell him no")
