"""Text helpers shared by the chat connectors: escaping and splitting.

Everything a correspondent wrote is data. It must reach the screen exactly as typed, so
a sender cannot inject markup (Telegram HTML tags, Slack ``<!channel>`` mentions or
``<http://evil|click>`` links) into a message Deputy forwards or into a prompt.
"""

from __future__ import annotations

import html

# Preferred cut points, best first: paragraph, line, sentence, word.
_SEPARATORS: tuple[str, ...] = ("\n\n", "\n", ". ", " ")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, *, limit: int, measure: str = "chars") -> list[str]:
    """Split ``text`` into pieces no longer than ``limit``, cutting at natural boundaries.

    ``measure`` is "chars" (code points) or "utf16" (Telegram's unit). Joining the pieces
    gives back the original text: nothing is dropped or added, so a split message reads
    the same as the whole one. Empty text yields one empty piece.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    length = utf16_len if measure == "utf16" else len
    pieces: list[str] = []
    rest = text
    while length(rest) > limit:
        window = _longest_prefix(rest, limit=limit, length=length)
        cut = _best_cut(window)
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return pieces


def _longest_prefix(text: str, *, limit: int, length: object) -> str:
    """The longest prefix of ``text`` within ``limit`` units (astral characters count 2)."""
    if length is len:
        return text[:limit]
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def _best_cut(window: str) -> int:
    """Where to end a piece inside ``window``: after the last good separator in its
    second half, else a hard cut at the end of the window."""
    floor = len(window) // 2
    for sep in _SEPARATORS:
        at = window.rfind(sep)
        if at >= floor:
            return at + len(sep)
    return len(window)


def telegram_html(text: str) -> str:
    """Escape for Telegram's HTML parse mode: only <, > and & are special there."""
    return html.escape(text, quote=False)


def slack_escape(text: str) -> str:
    """Escape for Slack mrkdwn and plain ``text``: &, < and > are the only control
    characters; escaping them neutralises ``<!channel>``, ``<@U1>`` and ``<url|label>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, *, limit: int, measure: str = "chars") -> str:
    """The first piece of ``text`` within ``limit``, with an ellipsis when cut."""
    pieces = split_text(text, limit=limit - 1, measure=measure)
    return pieces[0] if len(pieces) == 1 else pieces[0].rstrip() + "…"
