"""Owner forwards in the four shapes clients produce."""

from __future__ import annotations

import pytest
from email_helpers import AUTHSERV, event, raw

HEAD = (
    f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=example.com\n"
    "From: Olive <owner@example.com>\nTo: deputy@deputy.test\nMessage-ID: <fw@example.com>\n"
    "Subject: Fwd: Quote request"
)

GMAIL = """Can you answer this one? Offer 400.

---------- Forwarded message ---------
From: Alice Buyer <alice@buyer.example>
Date: Mon, 6 Jan 2025 at 10:00
Subject: Quote request
To: Olive <owner@example.com>


Hi Olive, what would 10 units cost?
"""

OUTLOOK = """Please handle.

-----Original Message-----
From: Alice Buyer [mailto:alice@buyer.example]
Sent: Monday, January 6, 2025 10:00 AM
To: Olive Owner <owner@example.com>
Subject: Quote request

Hi Olive, what would 10 units cost?
"""

OUTLOOK_NEW = """Please handle.

________________________________
From: Alice Buyer <alice@buyer.example>
Sent: Monday, January 6, 2025 10:00
To: Olive Owner <owner@example.com>
Subject: Quote request

Hi Olive, what would 10 units cost?
"""

APPLE = """Handle it like last time.

Begin forwarded message:

From: Alice Buyer <alice@buyer.example>
Subject: Quote request
Date: 6 January 2025 at 10:00:00 CET
To: Olive <owner@example.com>
Message-Id: <orig-1@buyer.example>

Hi Olive, what would 10 units cost?
"""


@pytest.mark.parametrize(
    ("style", "body"),
    [("gmail", GMAIL), ("outlook", OUTLOOK), ("outlook", OUTLOOK_NEW), ("apple", APPLE)],
)
def test_inline_forward(style: str, body: str) -> None:
    ev = event(raw(HEAD, body))
    assert ev.kind == "owner_message"
    assert ev.refs["forwarded_style"] == style
    assert ev.refs["forwarded_from"] == "alice@buyer.example"
    assert ev.refs["forwarded_name"] == "Alice Buyer"
    assert ev.refs["forwarded_subject"] == "Quote request"
    assert "2025" in ev.refs["forwarded_date"]
    assert ev.refs["forwarded_text"].strip() == "Hi Olive, what would 10 units cost?"
    assert "units" not in ev.text and ev.text.strip()
    assert "----" not in ev.text and "____" not in ev.text
    if style == "apple":
        assert ev.refs["forwarded_message_id"] == "<orig-1@buyer.example>"


def test_rfc822_attachment_forward() -> None:
    body = """--b
Content-Type: text/plain; charset=utf-8

Please reply with our standard terms.
--b
Content-Type: message/rfc822
Content-Disposition: attachment; filename="Quote request.eml"

From: =?utf-8?q?Al=C3=AFce?= <alice@buyer.example>
To: owner@example.com
Subject: Quote request
Date: Mon, 06 Jan 2025 10:00:00 +0100
Message-ID: <orig-2@buyer.example>
Content-Type: text/plain; charset=utf-8

What would 10 units cost?
--b--
"""
    ev = event(raw(HEAD + '\nContent-Type: multipart/mixed; boundary="b"', body))
    assert ev.kind == "owner_message"
    assert ev.refs["forwarded_style"] == "rfc822"
    assert ev.refs["forwarded_from"] == "alice@buyer.example"
    assert ev.refs["forwarded_name"] == "Alïce"
    assert ev.refs["forwarded_message_id"] == "<orig-2@buyer.example>"
    assert ev.refs["forwarded_subject"] == "Quote request"
    assert ev.refs["forwarded_date"] == "Mon, 06 Jan 2025 10:00:00 +0100"
    assert ev.refs["forwarded_text"].strip() == "What would 10 units cost?"
    assert ev.text.strip() == "Please reply with our standard terms."
    assert [a.content_type for a in ev.attachments] == ["message/rfc822"]


def test_stranger_forward_is_not_unwrapped() -> None:
    ev = event(raw(HEAD.replace("dkim=pass", "dkim=fail"), GMAIL))
    assert ev.kind == "message"
    assert "forwarded_from" not in ev.refs
    assert "units" in ev.text


def test_owner_plain_message_has_no_forward_refs() -> None:
    ev = event(raw(HEAD, "Pause everything until Monday.\n"))
    assert ev.kind == "owner_message" and "forwarded_from" not in ev.refs
