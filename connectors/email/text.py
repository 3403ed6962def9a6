"""Making untrusted strings safe to store and show.

Mail carries raw 8-bit bytes, lone surrogates (from the stdlib's surrogateescape
decoding) and control characters; any of them can break JSON persistence or a
terminal. Everything that goes into an Event passes through ``clean``.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean(value: object, *, limit: int | None = None, keep_newlines: bool = True) -> str:
    """Return printable, valid-Unicode text; never raises."""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:
        return ""
    if _SURROGATE.search(text):
        text = _unescape_surrogates(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not keep_newlines:
        text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return text


def _unescape_surrogates(text: str) -> str:
    """Undo surrogateescape: raw 8-bit bytes become UTF-8 if they are, else cp1252."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return decode_bytes(raw)


def decode_bytes(raw: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset, then UTF-8, then cp1252; never raises."""
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return raw.decode(candidate)
        except (LookupError, UnicodeDecodeError, TypeError, ValueError):
            continue
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def has_line_break(value: str) -> bool:
    """CR, LF or NUL in a header value would let it start a new header (RFC 5322 2.2)."""
    return any(ch in value for ch in ("\r", "\n", "\x00"))
