"""Replies thread to the original (RFC 5322 3.6.4), and only to a Message-ID it really had."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.delivery import is_synthetic_message_id
from bot.effects.reply_message import reply_message
from bot.events import Event
from bot.owner import OwnerProfile
from connectors.email.parse import parse_message


def _event(message_id: str, references: str = "") -> Event:
    return Event(
        id=f"local:{message_id}",
        channel="local",
        kind="message",
        thread=message_id,
        sender="sam@example.org",
        received_at=datetime.now(UTC),
        subject="Lunch next month?",
        text="Lunch?",
        refs={"channel_type": "local", "message_id": message_id, "references": references},
    )


def _reply(event: Event):  # type: ignore[no-untyped-def]
    return reply_message(
        event,
        text="Gladly.",
        to=(),
        cc=(),
        key=f"{event.id}:0:reply",
        mail=True,
        owner=OwnerProfile(name="Alex", emails=("alex@example.com",)),
        auto_submitted=False,
        message_id_domain="deputy.localhost",
    )


def test_a_reply_threads_to_the_original_message_id() -> None:
    message = _reply(_event("<m1@example.org>", references="<m0@example.org>"))
    assert message.in_reply_to == "<m1@example.org>"
    assert message.references == ("<m0@example.org>", "<m1@example.org>")
    assert message.to == ("sam@example.org",)
    assert message.subject == "Re: Lunch next month?"


def test_mail_without_a_message_id_gets_a_reply_that_points_nowhere_invented() -> None:
    raw = b"From: Sam <sam@example.org>\r\nTo: deputy@localhost\r\nSubject: Lunch?\r\n\r\nLunch?\r\n"
    parsed = parse_message(
        raw,
        connector="local",
        own_addresses=("deputy@localhost",),
        owner=OwnerProfile(emails=("alex@example.com",)),
        received_at=datetime.now(UTC),
    )
    assert parsed.event is not None
    stand_in = parsed.event.refs["message_id"]
    assert is_synthetic_message_id(stand_in)  # the inbox still needs a stable id to dedupe
    message = _reply(_event(stand_in))
    assert message.in_reply_to == ""
    assert message.references == ()
    assert message.message_id.endswith("@deputy.localhost>")
