"""What leaves Deputy: outbox rows as connectors receive them.

The executor writes a ``Delivery`` into the outbox in the same transaction that
finishes the event; the outbox dispatcher hands it to the connector named in
``connector``. ``key`` is the idempotency key: the same action of the same event always
gets the same key, so a replay after a crash inserts nothing new.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

# The stand-in for a missing Message-ID (connectors/email/parse.py): RFC 2606 reserves
# ".invalid", so no real message carries it, and a reply must not point at it.
SYNTHETIC_ID_DOMAIN = "deputy.invalid"


def is_synthetic_message_id(value: str) -> bool:
    return value.strip().rstrip(">").lower().endswith("@" + SYNTHETIC_ID_DOMAIN)


@dataclass(frozen=True, slots=True, kw_only=True)
class Button:
    label: str
    data: str  # opaque to the connector; carries the single-use nonce


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundMessage:
    """A message to send. For email, ``message_id`` is deterministic (derived from the
    idempotency key) so that a send in doubt can be looked up in Sent before a resend."""

    to: tuple[str, ...]
    text: str
    subject: str = ""
    cc: tuple[str, ...] = ()
    html: str = ""
    thread: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    auto_submitted: bool = True
    # Chat addressing (chat_id, thread_ts, reply_to_message_id): copied from Event.refs.
    refs: dict[str, str] = field(default_factory=dict)
    buttons: tuple[Button, ...] = ()
    # A department's identity (bot/departments): its own address and name in From, when
    # set; otherwise the channel's configured ones.
    from_addr: str = ""
    from_name: str = ""
    # An iCalendar object with its METHOD (an iTIP REQUEST or REPLY, RFC 6047): sent as a
    # text/calendar part beside the text. "" = none.
    calendar: str = ""

    def to_payload(self) -> dict[str, Any]:
        # By hand rather than dataclasses.asdict (a deep copy): this is on the hot path.
        identity = {"from_addr": self.from_addr, "from_name": self.from_name} if self.from_addr else {}
        return {
            **identity,
            "to": list(self.to),
            "text": self.text,
            "subject": self.subject,
            "cc": list(self.cc),
            "html": self.html,
            "thread": self.thread,
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": list(self.references),
            "auto_submitted": self.auto_submitted,
            "refs": dict(self.refs),
            "buttons": [{"label": b.label, "data": b.data} for b in self.buttons],
            **({"calendar": self.calendar} if self.calendar else {}),
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> OutboundMessage:
        # Unknown keys are dropped: rows written by an older version must still deliver.
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("to", "cc", "references"):
            data[key] = tuple(data.get(key, ()))
        data["buttons"] = tuple(Button(**b) for b in data.get("buttons", ()))
        return cls(**data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One outbox row as a connector sees it."""

    key: str
    connector: str
    op: str
    payload: dict[str, Any]
    attempts: int = 0
    # A previous attempt started and its outcome was never recorded (crash mid-send).
    # The connector must check (e.g. Sent folder by Message-ID) before sending again.
    in_doubt: bool = False
    first_tried_at: float = 0.0  # wall-clock time of the first attempt: the sender's age


def message_id_for(key: str, *, domain: str) -> str:
    """A deterministic RFC 5322 Message-ID for an idempotency key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<deputy.{digest}@{domain}>"
