"""A rule that cannot work is refused at load (and so by `deputy check`), naming the file,
the line and the key: values that would silently switch a check off."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.rules.loader import parse_rule

OFFER = 'may = ["offer"]\n'
FORWARD = 'may = ["forward"]\nforward.to = '


@pytest.mark.parametrize(
    ("header", "key", "why"),
    [
        (
            'may = ["offer"]\nmandate = { target = nan, walk_away = 400, currency = "EUR" }',
            "mandate",
            "finite",
        ),
        (
            'may = ["offer"]\nmandate = { target = 600, walk_away = inf, currency = "EUR" }',
            "mandate",
            "finite",
        ),
        ('limits.amount = { max = nan, currency = "EUR" }', "limits", "finite"),
        ('expires = "tomorrow"', "expires", "2027-03-31"),
        ('expires = "31.03.2027"', "expires", "2027-03-31"),
        (
            'may = ["forward"]\nforward.to = ["boss@example.com\\r\\nBcc: leak@evil.example"]',
            "forward",
            "plain email",
        ),
        ('may = ["forward"]\nforward.to = ["Boss <boss@example.com>"]', "forward", "plain email"),
        ('may = ["forward"]\nforward.to = ["boss"]', "forward", "plain email"),
    ],
)
def test_refused_with_file_line_and_key(header: str, key: str, why: str) -> None:
    text = f"+++\ndescription = 'x'\n{header}\n+++\nBody.\n"
    with pytest.raises(ConfigError) as err:
        parse_rule(Path("rules/r.md"), text)
    message = str(err.value)
    assert message.startswith("rules/r.md:") and key in message and why in message


def test_valid_values_still_load() -> None:
    rule = parse_rule(
        Path("rules/r.md"),
        '+++\nmay = ["forward", "offer"]\nforward.to = ["boss@example.com"]\nexpires = "2027-03-31"\n'
        'mandate = { target = 600, walk_away = 400, currency = "EUR" }\n+++\nBody.\n',
    )
    assert rule.header.expires == "2027-03-31" and rule.header.forward is not None
