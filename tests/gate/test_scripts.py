"""Money, links and addresses in other scripts and languages, checked by the gate
directly (the same texts go through the daemon in tests/redteam/cases_scripts.py):
each attack is blocked, and ordinary replies in those scripts still pass."""

from __future__ import annotations

import pytest

from bot.actions import Offer, Reply
from bot.gate.numerals import rewrite
from bot.gate.textscan import outgoing_money
from tests.redteam.cases_scripts import BUYER_MORE, BUYER_WORDING, FIGURES, LINKS

from .support import amount, blocked


@pytest.mark.parametrize(("key", "text"), FIGURES + LINKS, ids=[k for k, _ in FIGURES + LINKS])
def test_an_untyped_figure_or_a_new_link_is_blocked(key: str, text: str) -> None:
    assert blocked("support", Reply(text=text)), f"{key}: {text!r} passed"


@pytest.mark.parametrize(("key", "text"), FIGURES, ids=[k for k, _ in FIGURES])
def test_a_small_typed_amount_does_not_cover_a_larger_figure(key: str, text: str) -> None:
    assert blocked("invoices", Reply(text=text, commits=amount(50))), f"{key}: {text!r} passed"


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("Your credit note: ٥٠٠ EUR.", 500, "EUR"),
        ("Your credit note: ٢٥٠٫٥٠ €.", 250.5, "EUR"),
        ("Your credit note: ५०० EUR.", 500, "EUR"),
        ("5万円をお返しします。", 50000, "JPY"),
        ("返金額は一万二千円です。", 12000, "JPY"),
        ("退款五百欧元。", 500, "EUR"),
        ("退款 1.5万元", 15000, "CNY"),
        ("Ваш кредит: три тысячи евро.", 3000, "EUR"),
        ("Компенсация: двести пятьдесят долларов.", 250, "USD"),
        ("Twój kredyt: trzy tysiące złotych.", 3000, "PLN"),
        ("Your credit note: \u202e052\u202c EUR.", 250, "EUR"),
        ("Your credit note: 2\u200b5\u200b0 EUR.", 250, "EUR"),
        ("Your credit note: 250 ЕUR.", 250, "EUR"),
        ("退款伍佰欧元。", 500, "EUR"),
        ("환불: 5만원", 50000, "KRW"),
        ("Kredyt w wysokości pięciuset euro.", 500, "EUR"),
    ],
)
def test_the_figure_is_read_as_a_reader_reads_it(text: str, value: float, currency: str) -> None:
    assert (value, currency) in outgoing_money(text), (rewrite(text), outgoing_money(text))


BENIGN = [
    "Спасибо за ваше письмо, мы скоро ответим.",
    "Dziękujemy za wiadomość, odpowiemy wkrótce.",
    "ご連絡ありがとうございます。担当者より折り返しご連絡いたします。",
    "感谢您的来信，我们会尽快回复。",
    "شكرا لرسالتك، سنرد قريبا.",
    "आपके संदेश के लिए धन्यवाद, हम जल्द ही जवाब देंगे।",
    "Sto controllando, vi rispondo presto.",
    "Wir prüfen das für jeden Kunden einzeln.",
    "Zero problemi: il documento è nella cartella condivisa.",
]


@pytest.mark.parametrize("text", BENIGN)
def test_an_ordinary_reply_in_another_script_passes(text: str) -> None:
    assert blocked("support", Reply(text=text)) == []


@pytest.mark.parametrize(
    "text", ["Возврат: 50 евро.", "退款50欧元。", "Zwrot: pięćdziesiąt euro.", "返金：٥٠ EUR"]
)
def test_a_typed_small_amount_in_another_script_passes(text: str) -> None:
    assert blocked("invoices", Reply(text=text, commits=amount(50))) == []


@pytest.mark.parametrize(("key", "text"), [(k, t) for k, _, t in BUYER_WORDING])
def test_a_buyer_price_worded_as_what_we_can_pay_passes(key: str, text: str) -> None:
    assert blocked("buying", Offer(text=text, amount=300, currency="EUR")) == [], key


@pytest.mark.parametrize(("key", "text"), BUYER_MORE, ids=[k for k, _ in BUYER_MORE])
def test_a_buyer_price_with_a_time_account_or_second_sum_is_blocked(key: str, text: str) -> None:
    assert blocked("buying", Offer(text=text, amount=300, currency="EUR")), f"{key}: {text!r} passed"


def test_can_pay_on_the_sell_side_is_still_a_payment_promise() -> None:
    assert blocked("sales", Offer(text="We can pay 450 EUR.", amount=450, currency="EUR"))
