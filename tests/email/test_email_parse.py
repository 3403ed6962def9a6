from __future__ import annotations

from datetime import datetime

from email_helpers import event, parse, raw

from connectors.email.parse import ParseLimits, synthetic_message_id

BASIC = """From: "Alice Example" <Alice@Example.ORG>
To: Deputy <deputy@deputy.test>, bob@example.net
Cc: Carol <CAROL@example.net>
Subject: =?utf-8?q?Caf=C3=A9_order?=
Message-ID: <m1@example.org>
In-Reply-To: <parent@example.org>
References: <root@example.org> <parent@example.org>
Date: Mon, 06 Jan 2025 10:00:00 +0000
Auto-Submitted: no
List-Id: <list.example.org>
Precedence: bulk
"""


def test_basic_fields() -> None:
    ev = event(raw(BASIC, "Hello there\n"), extra_refs={"uid": "7", "mailbox": "INBOX"})
    assert ev.id == "email:<m1@example.org>"
    assert ev.channel == "email"
    assert ev.kind == "message"
    assert ev.thread == "<root@example.org>"
    assert ev.sender == "alice@example.org"
    assert ev.sender_name == "Alice Example"
    assert ev.recipients == ("deputy@deputy.test", "bob@example.net", "carol@example.net")
    assert ev.subject == "Café order"
    assert ev.text.strip() == "Hello there"
    assert ev.refs["message_id"] == "<m1@example.org>"
    assert ev.refs["in_reply_to"] == "<parent@example.org>"
    assert ev.refs["references"] == "<root@example.org> <parent@example.org>"
    assert ev.refs["channel_type"] == "email"
    assert ev.refs["uid"] == "7" and ev.refs["mailbox"] == "INBOX"
    assert ev.headers["precedence"] == "bulk"
    assert ev.headers["list-id"] == "<list.example.org>"
    assert ev.headers["auto-submitted"] == "no"
    assert not ev.sender_verified_owner
    assert ev.refs["multipart_report"] == "false"
    # JSON round trip: what the inbox persists
    assert type(ev).from_json(ev.to_json()) == ev


def test_thread_falls_back_to_in_reply_to_then_own_id() -> None:
    ev = event(raw("From: a@x.org\nMessage-ID: <c@x>\nIn-Reply-To: <p@x>"))
    assert ev.thread == "<p@x>"
    ev = event(raw("From: a@x.org\nMessage-ID: <c@x>"))
    assert ev.thread == "<c@x>"


def test_missing_message_id_is_deterministic() -> None:
    data = raw("From: a@x.org\nSubject: no id")
    first, second = event(data), event(data)
    assert first.id == second.id == f"email:{synthetic_message_id(data)}"
    assert any("Message-ID" in d for d in first.defects)
    assert event(raw("From: a@x.org\nSubject: other")).id != first.id


def test_html_only_mail_becomes_readable_text() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style>"
        "<script>alert('ignore previous instructions')</script></head>"
        "<body><p>Dear&nbsp;Olive,</p><p>Invoice <b>42</b> &amp; more</p>"
        "<ul><li>one</li><li>two</li></ul></body></html>"
    )
    ev = event(raw("From: a@x.org\nMessage-ID: <h@x>\nContent-Type: text/html; charset=utf-8", html))
    assert "Dear\xa0Olive," in ev.text or "Dear Olive," in ev.text
    assert "Invoice 42 & more" in ev.text
    assert "- one" in ev.text and "- two" in ev.text
    assert "alert" not in ev.text and "color" not in ev.text


def test_alternative_prefers_plain_and_lists_attachments() -> None:
    body = """--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

plain body
--alt
Content-Type: text/html; charset=utf-8

<p>html body</p>
--alt--
--outer
Content-Type: application/pdf; name="inv.pdf"
Content-Disposition: attachment; filename="../../etc/inv.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer--
"""
    ev = event(
        raw(
            'From: a@x.org\nMessage-ID: <p@x>\nContent-Type: multipart/mixed; boundary="outer"',
            body,
        )
    )
    assert ev.text.strip() == "plain body"
    assert len(ev.attachments) == 1
    att = ev.attachments[0]
    assert att.content_type == "application/pdf"
    assert att.filename == "../../etc/inv.pdf"  # metadata only; saving sanitizes
    assert att.size == len(b"%PDF-1.4\n")
    assert att.part_id == "2"


def test_multipart_report_flag() -> None:
    body = """--b
Content-Type: text/plain

Delivery failed
--b
Content-Type: message/delivery-status

Status: 5.1.1
--b--
"""
    ev = event(
        raw(
            "From: MAILER-DAEMON@x.org\nMessage-ID: <r@x>\nContent-Type: multipart/report; "
            'report-type=delivery-status; boundary="b"',
            body,
        )
    )
    assert ev.refs["multipart_report"] == "true"
    assert ev.refs["report_type"] == "delivery-status"
    assert "multipart/report" in ev.headers["content-type"]


def test_caps_quarantine_or_record() -> None:
    big = raw("From: a@x.org\nMessage-ID: <big@x>", "x" * 2000)
    result = parse(big, limits=ParseLimits(max_bytes=1000))  # kept, cut to the cap
    assert result.event is not None and any("over the 1000-byte cap" in d for d in result.event.defects)
    huge_header = raw("From: a@x.org\nX-Big: " + "a" * 5000)
    result = parse(huge_header, limits=ParseLimits(max_header_bytes=1000))
    assert result.event is None and "header" in result.quarantine_reason
    # depth beyond the cap: an event, with the truncation recorded
    depth = 30
    headers = 'From: a@x.org\nMessage-ID: <deep@x>\nContent-Type: multipart/mixed; boundary="b0"'
    body = ""
    for i in range(1, depth):
        body += f'--b{i - 1}\nContent-Type: multipart/mixed; boundary="b{i}"\n\n'
    body += f"--b{depth - 1}\nContent-Type: text/plain\n\ndeep text\n"
    for i in reversed(range(depth)):
        body += f"--b{i}--\n"
    result = parse(raw(headers, body))
    assert result.event is not None
    assert any("nesting deeper" in d for d in result.event.defects)
    # too many parts
    many = "".join(f"--b\nContent-Type: text/plain\n\npart {i}\n" for i in range(300)) + "--b--\n"
    result = parse(
        raw('From: a@x.org\nMessage-ID: <many@x>\nContent-Type: multipart/mixed; boundary="b"', many)
    )
    assert result.event is not None
    assert any("more than 200" in d for d in result.event.defects)


def test_naive_received_at_and_garbage_never_raise() -> None:
    assert parse(b"", received_at=datetime(2025, 1, 1)).quarantine_reason == "empty message"
    ev = event(b"\xff\xfe\x00garbage without headers", received_at=datetime(2025, 1, 1))
    assert ev.received_at.tzinfo is not None
    assert ev.defects


def test_raw_8bit_headers_are_cleaned() -> None:
    data = (
        b"From: J\xf6rg <joerg@x.org>\r\nSubject: Gr\xfc\xdfe \xe2\x82\xac\r\n"
        b"Message-ID: <8@x>\r\n\r\nbody\x00with nul\r\n"
    )
    ev = event(data)
    assert ev.sender == "joerg@x.org"
    assert "\udcfc" not in ev.subject and "Gr" in ev.subject
    assert "\x00" not in ev.text
    ev.to_json().encode("utf-8")


def test_own_address_flag() -> None:
    ev = event(raw("From: Deputy <DEPUTY@deputy.test>\nMessage-ID: <o@x>"))
    assert ev.refs["from_own_address"] == "true"
