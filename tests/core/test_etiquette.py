"""RFC 3834 / RFC 5230 loop etiquette: these must never get an automatic reply."""

from __future__ import annotations

import pytest

from bot.pipeline.etiquette import no_reply_reason
from tests.core.helpers import mail

US = frozenset({"deputy@localhost", "alex@example.com"})

NO_REPLY = [
    ("auto-replied", {"headers": {"Auto-Submitted": "auto-replied"}}),
    ("auto-generated", {"headers": {"auto-submitted": "auto-generated"}}),
    ("auto-notified", {"headers": {"auto-submitted": "auto-notified; owner-email=x@y"}}),
    ("precedence bulk", {"headers": {"precedence": "bulk"}}),
    ("precedence list", {"headers": {"precedence": "list"}}),
    ("precedence junk", {"headers": {"precedence": "JUNK"}}),
    ("list-id", {"headers": {"list-id": "<dev.lists.example.org>"}}),
    ("list-unsubscribe", {"headers": {"list-unsubscribe": "<mailto:u@x>"}}),
    ("list-post", {"headers": {"list-post": "<mailto:l@x>"}}),
    ("list-help", {"headers": {"list-help": "<mailto:h@x>"}}),
    ("empty return-path", {"headers": {"return-path": "<>"}}),
    ("multipart/report", {"headers": {"content-type": "multipart/report; report-type=delivery-status"}}),
    ("mailer-daemon", {"sender": "MAILER-DAEMON@mx.example.com"}),
    ("postmaster", {"sender": "postmaster@example.com"}),
    ("noreply", {"sender": "noreply@service.com"}),
    ("no-reply", {"sender": "no-reply@service.com"}),
    ("do-not-reply", {"sender": "do-not-reply@bank.com"}),
    ("donotreply", {"sender": "donotreply@bank.com"}),
    ("owner- list", {"sender": "owner-dev@lists.org"}),
    ("-request", {"sender": "dev-request@lists.org"}),
    ("listserv", {"sender": "listserv@lists.org"}),
    ("majordomo", {"sender": "majordomo@lists.org"}),
    ("bounces", {"sender": "dev-bounces@lists.org"}),
    ("x-auto-response-suppress", {"headers": {"x-auto-response-suppress": "All"}}),
    ("x-autoreply", {"headers": {"x-autoreply": "yes"}}),
    ("x-loop", {"headers": {"x-loop": "deputy@localhost"}}),
    ("spam flag", {"headers": {"x-spam-flag": "YES"}}),
    ("bcc only", {"to": ("someone-else@example.com",)}),
    ("empty sender", {"sender": ""}),
]


@pytest.mark.parametrize(("case", "kwargs"), NO_REPLY, ids=[c for c, _ in NO_REPLY])
def test_no_automatic_reply(case: str, kwargs: dict) -> None:
    assert no_reply_reason(mail(**kwargs), our_addresses=US) is not None, case


POSITIVE = [
    ("plain", {}),
    ("auto-submitted no", {"headers": {"auto-submitted": "no"}}),
    ("precedence first-class", {"headers": {"precedence": "first-class"}}),
    ("to the owner", {"to": ("alex@example.com",)}),
    ("cc us", {"to": ("other@x.com", "deputy@localhost")}),
    ("return-path set", {"headers": {"return-path": "<bob@client.com>"}}),
]


@pytest.mark.parametrize(("case", "kwargs"), POSITIVE, ids=[c for c, _ in POSITIVE])
def test_human_mail_may_get_a_reply(case: str, kwargs: dict) -> None:
    assert no_reply_reason(mail(**kwargs), our_addresses=US) is None, case


def test_chat_is_not_subject_to_mail_etiquette() -> None:
    event = mail(channel="telegram", refs={"channel_type": "telegram"}, to=())
    assert no_reply_reason(event, our_addresses=US) is None
