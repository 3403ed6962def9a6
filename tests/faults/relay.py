"""An SMTP relay on 127.0.0.1 for the soak: the far end of the local channel's outgoing
mail, where replies are counted, and a switch that makes it answer 451 to DATA.

A 451 to DATA is a transient refusal (RFC 5321 4.2.5, RFC 3463 4.3.0): the relay has not
taken the message, so the client keeps it and tries again later. What was refused is
counted apart from what was accepted, so "each mail got exactly one reply" is read from
the accepted ones only. aiosmtpd runs the server in its own thread; every record is taken
under a lock.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller

from tests.e2e.conftest import free_port

REFUSAL = "451 4.3.0 Relay busy, try again later"


@dataclass(frozen=True, slots=True)
class Accepted:
    in_reply_to: str
    text: str


@dataclass
class Relay:
    """The aiosmtpd handler: records what it accepts and what it refuses, by the
    In-Reply-To of the mail (the correspondent's Message-ID the reply answers)."""

    refusing: bool = False
    port: int = 0
    _accepted: list[Accepted] = field(default_factory=list)
    _refused: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        message = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
        answers = str(message.get("In-Reply-To", "")).strip()
        with self._lock:
            if self.refusing:
                self._refused[answers] += 1
                return REFUSAL
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        with self._lock:
            self._accepted.append(Accepted(in_reply_to=answers, text=text))
        return "250 OK: queued"

    def refused(self, in_reply_to: str) -> int:
        """Attempts answered 451 for the reply to ``in_reply_to``."""
        with self._lock:
            return self._refused[in_reply_to]

    def accepted(self) -> list[Accepted]:
        with self._lock:
            return list(self._accepted)

    def answered(self, in_reply_to: str) -> int:
        """Messages accepted that answer ``in_reply_to``."""
        return sum(1 for a in self.accepted() if a.in_reply_to == in_reply_to)


@contextmanager
def running_relay() -> Iterator[Relay]:
    relay = Relay(port=free_port())
    controller = Controller(relay, hostname="127.0.0.1", port=relay.port)
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()
