"""Outbound mail: threading headers, RFC 3834 marking and no header injection."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from bot.delivery import OutboundMessage, message_id_for
from connectors.email.compose import ComposeError, compose_bytes, reply_subject

MID = message_id_for("evt-1:reply:0", domain="deputy.test")
EXPECTED = {
    "from", "to", "subject", "date", "message-id", "in-reply-to", "references",
    "auto-submitted", "x-auto-response-suppress", "mime-version", "content-type",
    "content-transfer-encoding",
}  # fmt: skip


def build(**kw: object) -> bytes:
    fields: dict[str, object] = {
        "to": ("Alice <alice@example.org>",),
        "text": "Thanks, we will pay this week.",
        "subject": "Invoice 42",
        "message_id": MID,
        "in_reply_to": "<inv42@example.org>",
        "references": ("<root@example.org>",),
    }
    fields.update(kw)
    return compose_bytes(
        OutboundMessage(**fields),  # type: ignore[arg-type]
        from_addr="deputy@deputy.test",
        from_name="Olive's Deputy",
        date=datetime(2025, 1, 2, tzinfo=UTC),
    )


def header_names(data: bytes) -> set[str]:
    msg = BytesParser(policy=policy.default).parsebytes(data)
    return {k.lower() for k in msg}


def test_reply_headers() -> None:
    data = build()
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert msg["Message-ID"] == MID
    assert msg["In-Reply-To"] == "<inv42@example.org>"
    assert msg["References"] == "<root@example.org> <inv42@example.org>"
    assert msg["Subject"] == "Re: Invoice 42"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["From"].addresses[0].addr_spec == "deputy@deputy.test"
    assert msg["Date"].datetime == datetime(2025, 1, 2, tzinfo=UTC)
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert header_names(data) == EXPECTED


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: x", "Re: x"),
        ("RE: x", "RE: x"),
        ("re:x", "re:x"),
        ("AW: x", "AW: x"),
        ("Re[2]: x", "Re[2]: x"),
        ("x", "Re: x"),
        ("Fwd: x", "Re: Fwd: x"),
    ],
)
def test_re_not_doubled(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_html_alternative_and_not_auto() -> None:
    data = build(html="<p>Thanks</p>", auto_submitted=False, in_reply_to="", references=())
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert "Auto-Submitted" not in msg and msg["Subject"] == "Invoice 42"


INJECTIONS = [
    "Hi\r\nBcc: victim@example.net",
    "Hi\nBcc: victim@example.net",
    "Hi\rBcc: victim@example.net",
    "Hi\r\n\r\nInjected body",
    "Hi\x00Bcc: victim@example.net",
    "Hi\r\n Bcc: folded@example.net",
    "=?utf-8?q?Hi=0D=0ABcc=3A_victim=40example=2Enet?=",
    "Hi\u2028Bcc: victim@example.net",
    "Hi\x85Bcc: victim@example.net",
]


@pytest.mark.parametrize("evil", INJECTIONS)
def test_subject_and_name_cannot_inject(evil: str) -> None:
    data = compose_bytes(
        OutboundMessage(to=("alice@example.org",), text="t", subject=evil, message_id=MID),
        from_addr="deputy@deputy.test",
        from_name=evil,
    )
    names = header_names(data)
    assert "bcc" not in names
    assert names <= EXPECTED
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert msg.get_content().strip() == "t"
    assert len(msg.get_all("Subject")) == 1 and len(msg.get_all("From")) == 1


@pytest.mark.parametrize(
    "field",
    [
        {"to": ("alice@example.org\r\nBcc: v@example.net",)},
        {"to": ("alice@example.org, v@example.net",)},
        {"to": ("not an address",)},
        {"to": ()},
        {"cc": ("v@example.net\nX-Evil: 1",)},
        {"message_id": "<a@b>\r\nBcc: v@example.net"},
        {"message_id": ""},
        {"message_id": "no-brackets@x"},
        {"in_reply_to": "<p@x>\nBcc: v@example.net"},
        {"references": ("<r@x> <s@x>\r\nBcc: v@x",)},
    ],
)
def test_bad_addresses_and_ids_are_rejected(field: dict[str, object]) -> None:
    with pytest.raises(ComposeError):
        build(**field)


def test_display_name_from_inbound_mail_is_safe() -> None:
    with pytest.raises(ComposeError):
        build(to=('"Mallory\r\nBcc: v@example.net" <m@example.org>',))
    data = build(to=('"=?utf-8?q?M=0D=0ABcc=3A_v=40example=2Enet?=" <m@example.org>',))
    assert header_names(data) == EXPECTED
    nested = "=?utf-8?q?=3D=3Futf-8=3Fq=3FHi=3D0D=3D0ABcc=3D3A_v=3D40x=3D2Eorg=3F=3D?="
    data = build(subject=nested, to=(f'"{nested}" <m@example.org>',))
    assert header_names(data) == EXPECTED
