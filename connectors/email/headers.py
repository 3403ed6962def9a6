"""Reading headers of untrusted mail without ever raising.

``policy.default`` parses structured headers lazily, on access, and some malformed
values make it raise (or loop on pathological input). Every read goes through here:
first the modern header object, then the compat32 decoder, then the raw text.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message
from email.policy import EmailPolicy
from typing import Any

from connectors.email.addresses import normalize, parse_address_list
from connectors.email.text import clean

_FOLD = re.compile(r"\r?\n(?=[ \t])")
MAX_HEADER_VALUE = 16_384
# The structured header parser of policy.default is super-linear on long values
# (thousands of parameters, addresses or encoded-words): one 500 KB Content-Type
# would take minutes. Values are cut to this length before structured parsing.
MAX_STRUCTURED = 8_192
MAX_OCCURRENCES = 10


class SafePolicy(EmailPolicy):
    """policy.default, except that header values are truncated before parsing."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if isinstance(value, str) and len(value) > MAX_STRUCTURED:
            value = value[:MAX_STRUCTURED]
        return super().header_fetch_parse(name, value)


SAFE_POLICY = SafePolicy()


def unfold(value: str) -> str:
    """RFC 5322 2.2.3: unfolding removes the CRLF that precedes folding whitespace."""
    return _FOLD.sub("", value).replace("\r", "").replace("\n", "")


def _items(msg: Message) -> list[tuple[str, Any]]:
    """Stored (name, raw value) pairs in order, without parsing any of them."""
    try:
        return list(msg.raw_items())  # type: ignore[attr-defined]
    except Exception:
        return list(getattr(msg, "_headers", []))


def raw_values(msg: Message, name: str) -> list[str]:
    """Unfolded raw values of every occurrence, top first (order matters for RFC 8601)."""
    wanted = name.lower()
    out: list[str] = []
    for key, value in _items(msg):
        try:
            if str(key).lower() == wanted:
                out.append(clean(unfold(str(value)), limit=MAX_HEADER_VALUE))
        except Exception:
            continue
    return out


def _compat32_decode(raw: str) -> str:
    try:
        return str(make_header(decode_header(raw)))
    except Exception:
        return raw


def decoded_values(msg: Message, name: str) -> list[str]:
    """Decoded (RFC 2047) values of every occurrence, each on one line."""
    wanted = name.lower()
    out: list[str] = []
    for key, value in _items(msg):
        try:
            if str(key).lower() != wanted:
                continue
        except Exception:
            continue
        if len(out) >= MAX_OCCURRENCES:
            break
        try:
            text = str(msg.policy.header_fetch_parse(key, value))
        except Exception:
            text = _compat32_decode(unfold(str(value)))
        out.append(clean(text, keep_newlines=False, limit=MAX_HEADER_VALUE))
    return out


def first(msg: Message, name: str) -> str:
    values = decoded_values(msg, name)
    return values[0] if values else ""


def addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) for every address in every occurrence."""
    out: list[tuple[str, str]] = []
    seen = 0
    for key, value in _items(msg):
        try:
            if str(key).lower() != name.lower():
                continue
            seen += 1
            if seen > MAX_OCCURRENCES:
                break
            header: Any = msg.policy.header_fetch_parse(key, value)
            found = [
                (clean(a.display_name, keep_newlines=False), normalize(a.addr_spec))
                for a in header.addresses[:1000]
            ]
            out.extend((n, a) for n, a in found if a and "@" in a)
        except Exception:
            out.extend(
                (n, a) for n, a in parse_address_list([_compat32_decode(unfold(str(value)))]) if "@" in a
            )
    return out


_MSGID = re.compile(r"<[^<>\s]{1,994}>")


def message_ids(value: str) -> list[str]:
    """Every ``<id>`` token in a Message-ID / In-Reply-To / References value (RFC 5322
    3.6.4), in order, without duplicates."""
    seen: list[str] = []
    for token in _MSGID.findall(value or ""):
        if token not in seen:
            seen.append(token)
    return seen
