"""Recovering the original when the owner forwards mail to Deputy.

"Handle this one" is the owner's most common instruction; the original sender,
subject and Message-ID are what any follow-up action needs, and the owner's own
note on top is the instruction. Clients write forwards in a few well-known
shapes: an encapsulated message/rfc822 part (RFC 2046 5.2.1), or inline text
after a marker line (Gmail, Outlook, Apple Mail, Thunderbird).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from connectors.email import headers as hdr
from connectors.email.addresses import parse_address_list
from connectors.email.mime import Tree, text_of
from connectors.email.text import clean


@dataclass(frozen=True, slots=True, kw_only=True)
class Forwarded:
    note: str  # what the owner wrote above the forwarded message
    sender: str = ""
    name: str = ""
    subject: str = ""
    date: str = ""
    message_id: str = ""
    text: str = ""  # the original body
    style: str = ""  # "rfc822" | "gmail" | "outlook" | "apple"

    def refs(self) -> dict[str, str]:
        return {
            "forwarded_from": self.sender,
            "forwarded_name": self.name,
            "forwarded_subject": self.subject,
            "forwarded_message_id": self.message_id,
            "forwarded_date": self.date,
            "forwarded_text": self.text,
            "forwarded_style": self.style,
        }


_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Gmail "---------- Forwarded message ---------",
    # Thunderbird "-------- Forwarded Message --------"
    ("gmail", re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}\s*$", re.IGNORECASE)),
    ("outlook", re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE)),
    ("apple", re.compile(r"^\s*Begin forwarded message:\s*$", re.IGNORECASE)),
)
_FIELD = re.compile(
    r"^\s*(?:>\s*)?\*?(From|Date|Sent|Subject|To|Cc|Reply-To|Message-ID)\*?\s*:\s*(.*)$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*_{10,}\s*$")


def detect(tree: Tree, body: str) -> Forwarded | None:
    """The forwarded original, if this message is a forward; never raises."""
    try:
        return _from_rfc822(tree, body) or _from_text(body)
    except Exception:
        return None


def _from_rfc822(tree: Tree, body: str) -> Forwarded | None:
    for node in tree.root.children or [tree.root]:
        if node.content_type != "message/rfc822":
            continue
        payload = node.part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            continue
        senders = hdr.addresses(inner, "from")
        name, sender = senders[0] if senders else ("", "")
        ids = hdr.message_ids(hdr.first(inner, "message-id"))
        return Forwarded(
            note=body.strip(),
            sender=sender,
            name=name,
            subject=hdr.first(inner, "subject"),
            date=hdr.first(inner, "date"),
            message_id=ids[0] if ids else "",
            text=text_of(inner),
            style="rfc822",
        )
    return None


def _from_text(body: str) -> Forwarded | None:
    lines = body.split("\n")
    for index, line in enumerate(lines):
        for style, marker in _MARKERS:
            if marker.match(line):
                return _parse_block(lines, start=index + 1, note_end=index, style=style)
        # Outlook without the marker: a From: / Sent: / Subject: block, often after a rule.
        if _FIELD.match(line) and line.strip().lower().startswith(("from:", "*from:")):
            window = " ".join(lines[index : index + 6]).lower()
            if "sent:" in window and "subject:" in window:
                note_end = index - 1 if index and _SEPARATOR.match(lines[index - 1]) else index
                return _parse_block(lines, start=index, note_end=note_end, style="outlook")
    return None


def _parse_block(lines: list[str], *, start: int, note_end: int, style: str) -> Forwarded | None:
    fields: dict[str, str] = {}
    last = ""
    index = start
    while index < len(lines) and not lines[index].strip():
        index += 1  # Apple Mail leaves a blank line after its marker
    while index < len(lines):
        line = lines[index]
        match = _FIELD.match(line)
        if match:
            last = match.group(1).lower()
            fields.setdefault(last, match.group(2).strip())
        elif not line.strip() or line.strip() == ">":
            break
        elif last:  # a long To: wrapped onto the next line
            fields[last] = f"{fields[last]} {line.strip()}"
        else:
            break
        index += 1
    if "from" not in fields:
        return None
    name, sender = _sender(fields["from"])
    ids = hdr.message_ids(fields.get("message-id", ""))
    original = "\n".join(_unquote(line) for line in lines[index:]).strip()
    return Forwarded(
        note="\n".join(lines[:note_end]).strip(),
        sender=sender,
        name=name,
        subject=clean(fields.get("subject", ""), keep_newlines=False),
        date=clean(fields.get("date") or fields.get("sent", ""), keep_newlines=False),
        message_id=ids[0] if ids else "",
        text=original,
        style=style,
    )


def _unquote(line: str) -> str:
    return line[2:] if line.startswith("> ") else (line[1:] if line.startswith(">") else line)


def _sender(value: str) -> tuple[str, str]:
    """'Alice <a@x>', 'Alice [mailto:a@x]', 'Alice <mailto:a@x>', 'a@x' or just 'Alice'."""
    value = re.sub(r"\[mailto:([^\]]+)\]", r"<\1>", value, flags=re.IGNORECASE)
    value = re.sub(r"<mailto:", "<", value, flags=re.IGNORECASE)
    value = value.replace("*", "").strip()
    pairs = parse_address_list([value])
    if pairs and "@" in pairs[0][1]:
        name, address = pairs[0]
        return name.strip('"'), address
    return clean(value.strip('"'), keep_newlines=False), ""
