"""Readable text from HTML-only mail, with the stdlib parser only.

The agent and the owner need words, not markup; scripts, styles and hidden head
content are dropped because they are never meant to be read and may carry prompt
injection that a human would not see.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "title", "noscript", "template", "svg"})
_BLOCK = frozenset(
    {
        "p",
        "div",
        "br",
        "tr",
        "li",
        "ul",
        "ol",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "dd",
        "dt",
        "address",
    }
)
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "wbr"})


class _TextExtractor(HTMLParser):
    def __init__(self, *, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self._skip_depth = 0
        self._chunks: list[str] = []
        self._size = 0
        self._limit = limit

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            if tag not in _VOID:
                self._skip_depth += 1
            return
        if tag == "li":
            self._emit("\n- ")
        elif tag in _BLOCK:
            self._emit("\n")
        elif tag in ("td", "th"):
            self._emit(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._emit("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag in _BLOCK:
            self._emit("\n")

    def handle_data(self, data: str) -> None:
        if self._skip_depth == 0:
            self._emit(data)

    def _emit(self, text: str) -> None:
        if self._size < self._limit:
            self._chunks.append(text)
            self._size += len(text)

    def text(self) -> str:
        joined = "".join(self._chunks)
        lines = [" ".join(line.split()) for line in joined.split("\n")]
        out = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", out).strip()[: self._limit]


def html_to_text(html: str, *, limit: int = 1_000_000) -> str:
    """Visible text of an HTML document; never raises."""
    parser = _TextExtractor(limit=limit)
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient, but malformed input must never escape
        pass
    return parser.text()
