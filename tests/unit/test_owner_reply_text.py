"""The owner's own words in an emailed answer: quoted history and the signature cut.

RFC 3676 4.3 writes the signature separator as "-- " (with a trailing blank); many
clients send it without the blank, and both must end the owner's words, or the
owner's name and title would go to the correspondent as part of the answer."""

from __future__ import annotations

import pytest

from bot.pipeline.router import _strip_quoted


@pytest.mark.parametrize("separator", ["-- ", "--", "--  "])
def test_the_signature_is_not_part_of_the_answer(separator: str) -> None:
    text = f"We are not interested, thank you.\n{separator}\nAnna Berger\nCEO, Berger GmbH\n"
    assert _strip_quoted(text) == "We are not interested, thank you."


def test_quoted_history_and_attribution_are_cut() -> None:
    text = "Yes, pay it.\n\nOn Tue, 1 Dec 2026, Deputy wrote:\n> Should I pay invoice 42?\n"
    assert _strip_quoted(text) == "Yes, pay it."


def test_a_dash_line_inside_the_text_is_kept() -> None:
    assert _strip_quoted("Options:\n--- a\n--- b") == "Options:\n--- a\n--- b"
