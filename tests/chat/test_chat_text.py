"""Splitting and escaping helpers shared by the chat connectors."""

from __future__ import annotations

import logging

import pytest

from connectors.chat_logging import SecretRedactor
from connectors.chat_text import slack_escape, split_text, telegram_html, truncate, utf16_len


@pytest.mark.parametrize("measure", ["chars", "utf16"])
@pytest.mark.parametrize(
    "text",
    [
        "",
        "short",
        "x" * 10_000,
        ("word " * 50 + "\n") * 100,
        "😀" * 3000,
        "para one.\n\npara two. " * 400,
    ],
)
def test_split_is_lossless_and_within_limit(text: str, measure: str) -> None:
    length = utf16_len if measure == "utf16" else len
    pieces = split_text(text, limit=1000, measure=measure)
    assert "".join(pieces) == text
    assert all(length(p) <= 1000 for p in pieces)
    assert all(pieces[:-1])  # no empty piece except for empty input


def test_split_prefers_paragraphs() -> None:
    text = "a" * 600 + "\n\n" + "b" * 600
    assert split_text(text, limit=1000) == ["a" * 600 + "\n\n", "b" * 600]


def test_escaping() -> None:
    assert telegram_html("<b>&amp;</b>") == "&lt;b&gt;&amp;amp;&lt;/b&gt;"
    assert slack_escape("<!channel> & <http://x|y>") == "&lt;!channel&gt; &amp; &lt;http://x|y&gt;"


def test_truncate_marks_the_cut() -> None:
    assert truncate("abc", limit=10) == "abc"
    cut = truncate("word " * 100, limit=20)
    assert cut.endswith("…") and len(cut) <= 20


def test_redactor_rewrites_message_args_and_traceback() -> None:
    redactor = SecretRedactor()
    redactor.add("s3cr3t-token-value", "short")
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "url %s", ("/bots3cr3t-token-value/getMe",), None
    )
    redactor.filter(record)
    assert record.getMessage() == "url /bot[redacted]/getMe"
    try:
        raise RuntimeError("bad token s3cr3t-token-value")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    redactor.filter(record)
    assert "s3cr3t" not in logging.Formatter().format(record)
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "short words stay", None, None)
    redactor.filter(plain)
    assert plain.getMessage() == "short words stay"  # secrets under 8 chars are not redacted
