"""Mailbox names on the wire: modified UTF-7 (RFC 3501 5.1.3), then a quoted string.

aioimaplib sends arguments verbatim, so a folder called "My Invoices" or "Rechnungen/
Früh" would otherwise break the command (or inject one, with a quote and CRLF).
"""

from __future__ import annotations

import base64


def encode_utf7(name: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def quote(name: str) -> str:
    """Wire form of a mailbox name; CR, LF and NUL are refused (they end a command)."""
    if any(ch in name for ch in "\r\n\x00") or not name.strip():
        raise ValueError(f"invalid mailbox name {name!r}")
    encoded = encode_utf7(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'
