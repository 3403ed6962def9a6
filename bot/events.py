"""The one shape in which everything that happens reaches the core.

Connectors build Events; the core never sees a wire format. Events are frozen and
serialise to JSON so that the inbox can persist them before the source is acknowledged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# message: someone wrote to the owner / to Deputy; owner_message: the verified owner
# wrote (a command, an instruction, a forward); owner_answer: the verified owner answered
# an escalation (button, reply, CLI); digest_due: the daily digest is due; timer_due: a
# follow-up or reminder timer fired; notice: an internal notice for the owner;
# tool_result: an MCP tool Deputy called answered (refs: tool, is_error, call_key).
EVENT_KINDS: frozenset[str] = frozenset(
    ["message", "owner_message", "owner_answer", "digest_due", "timer_due", "notice", "tool_result"]
)


# Built once: json.dumps with options builds a new encoder on every call (issue 3).
_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """Metadata, plus the readable text of a document the facts need (a PDF invoice's
    text, a calendar invite), bounded by the connector; the content itself is fetched
    by the connector when an action needs it."""

    filename: str
    content_type: str
    size: int
    part_id: str = ""  # connector-specific locator (MIME part path, file id)
    text: str = ""  # extracted text (PDF, text/calendar), "" when none or not readable


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Something that happened on a channel, normalised.

    ``id`` is ``"<connector>:<natural key>"`` (email Message-ID, Telegram update id,
    Slack event_id); the inbox ignores a second insert of the same id, which is what
    makes redelivery after a crash harmless.
    """

    id: str
    channel: str  # connector instance name: "email", "local", "telegram", "slack", "cli"...
    kind: str
    thread: str  # conversation key inside the channel
    sender: str  # normalised address or user id ("" for scheduler events)
    received_at: datetime
    sender_name: str = ""
    sender_verified_owner: bool = False
    recipients: tuple[str, ...] = ()  # To + Cc (email), or the chat members addressed
    subject: str = ""
    text: str = ""
    # Lower-cased header names -> values: what the loop-etiquette checks read (RFC 3834).
    headers: Mapping[str, str] = field(default_factory=dict)
    # What a reply needs: message_id, references, chat_id, thread_ts, reply_to, uid...
    refs: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    defects: tuple[str, ...] = ()  # parse problems, recorded instead of raised

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")
        if ":" not in self.id:
            raise ValueError(f"event id {self.id!r} must be '<connector>:<natural key>'")
        if self.received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")

    @property
    def participants(self) -> frozenset[str]:
        """Everyone already in this conversation: the only people a reply may reach."""
        return frozenset(p.lower() for p in (self.sender, *self.recipients) if p)

    def to_json(self) -> str:
        # Built by hand: dataclasses.asdict deep-copies every field, and this runs for
        # every event on the hot path (bench/pipeline.py).
        data: dict[str, Any] = {
            "id": self.id,
            "channel": self.channel,
            "kind": self.kind,
            "thread": self.thread,
            "sender": self.sender,
            "received_at": self.received_at.isoformat(),
            "sender_name": self.sender_name,
            "sender_verified_owner": self.sender_verified_owner,
            "recipients": list(self.recipients),
            "subject": self.subject,
            "text": self.text,
            "headers": dict(self.headers),
            "refs": dict(self.refs),
            "attachments": [_attachment_dict(a) for a in self.attachments],
            "defects": list(self.defects),
        }
        return _ENCODE(data)

    @classmethod
    def from_json(cls, raw: str) -> Event:
        data = json.loads(raw)
        data["received_at"] = datetime.fromisoformat(data["received_at"])
        data["recipients"] = tuple(data.get("recipients", ()))
        data["defects"] = tuple(data.get("defects", ()))
        data["attachments"] = tuple(Attachment(**a) for a in data.get("attachments", ()))
        return cls(**data)


def _attachment_dict(a: Attachment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "part_id": a.part_id,
    }
    if a.text:
        data["text"] = a.text  # left out when empty, so older readers see the old shape
    return data


def utcnow() -> datetime:
    return datetime.now(UTC)
