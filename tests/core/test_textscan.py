"""The money scanner's shortcut must never hide an amount the regexes would find."""

from __future__ import annotations

import random
import re

import pytest

from bot.gate import textscan
from bot.gate.textscan import AMOUNT_RE, CURRENCY_WORDS, PAY_RE, PAY_WORDS, URL_RE, links_in, money_in


def _regex_only(text: str) -> tuple[bool, bool]:
    return bool(AMOUNT_RE.search(text)), bool(PAY_RE.search(text))


def test_every_letter_the_regexes_fold_is_folded_the_same_by_the_shortcut() -> None:
    letters = {ch for word in (*CURRENCY_WORDS, *PAY_WORDS) for ch in word.casefold() if ch.isalpha()}
    for letter in sorted(letters):
        pattern = re.compile("(?i)" + re.escape(letter))
        for code in range(0x110000):
            char = chr(code)
            if pattern.fullmatch(char):
                folded = char.casefold().replace("\u0131", "i")
                assert letter in folded, f"{char!r} (U+{code:04X}) matches {letter!r} but folds to {folded!r}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Please pay 450 now", [(450.0, "")]),
        ("PRıCE 100", [(100.0, "")]),  # dotless i: re's (?i) treats it as "i"
        ("ſum 100", [(100.0, "")]),  # long s folds to "s"
        ("€450", [(450.0, "EUR")]),
        ("450 EUR", [(450.0, "EUR")]),
        ("1.234,56 euros", [(1234.56, "EUR")]),
        ("Invoice 1234 received, thanks", []),
        ("no digits here at all, price and euro", []),
    ],
)
def test_money_in(text: str, expected: list[tuple[float, str]]) -> None:
    assert money_in(text) == expected


def test_shortcut_agrees_with_the_regexes_on_random_text() -> None:
    rng = random.Random(7)
    alphabet = "0123456789 .,€$£ eurEURusdUSD payPAYsumSUMtotalprice ıſK abcxyz\n"
    words = [*CURRENCY_WORDS, *PAY_WORDS, "invoice", "1,234.50", "450", "12", "ref"]
    matched = [0, 0]
    for _ in range(3000):
        if rng.random() < 0.5:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        else:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 8)))
        amount, pay = _regex_only(text)
        currency_hint, pay_hint = textscan._hints(text)
        assert currency_hint or not amount, text
        assert pay_hint or not pay, text
        matched[0] += amount
        matched[1] += pay
    assert min(matched) > 100, f"the sample exercised too few matches: {matched}"


def test_links_in_finds_what_a_scan_of_the_whole_text_finds() -> None:
    rng = random.Random(11)
    pieces = [
        "https://x.example/a?b=1",
        "www.evil.xyz",
        "evil.ru",
        "pay.me/now",
        "mailto:a@b.com",
        "a.b.c",
        "Example.COM/path",
        "javascript:alert(1)",
        "(see http://q.io/x).",
        "x:y",
        "\u00a0",
        "\u2003",
        "\u3000",
        "\t",
        "\n",
        " ",
        ",",
        ".",
        ":",
        "/",
        "ftp://h/",
        "shop",
    ]
    found = 0
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        whole = {u.rstrip(".,;:!?").lower() for u in URL_RE.findall(text)}
        assert links_in(text) == whole, text
        found += bool(whole)
    assert found > 1000
