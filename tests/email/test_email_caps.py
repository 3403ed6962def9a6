"""Parse caps are checked before the work: a mail past them is parsed only up to them
and kept as an Event whose defects say so (never dropped, never parsed in full)."""

from __future__ import annotations

import email.message

import pytest
from email_helpers import event, raw

from connectors.email.parse import ParseLimits


def many_parts(count: int, *, boundary: str = "b0") -> bytes:
    parts = "".join(f"--{boundary}\r\nContent-Type: text/plain\r\n\r\np{n}\r\n" for n in range(count))
    body = "first text\r\n" + parts + f"--{boundary}--\r\n"
    head = (
        "From: a@x.org\nTo: deputy@deputy.test\nSubject: parts\nMessage-ID: <parts@x>\n"
        f'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="{boundary}"'
    )
    return raw(head, "--" + boundary + "\r\nContent-Type: text/plain\r\n\r\n" + body)


def nested(depth: int) -> bytes:
    body, tail = "", ""
    for level in range(depth):
        body += f'--n{level}\r\nContent-Type: multipart/mixed; boundary="n{level + 1}"\r\n\r\n'
        tail = f"--n{level}--\r\n" + tail
    body += f"--n{depth}\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n--n{depth}--\r\n"
    head = (
        "From: a@x.org\nSubject: deep\nMessage-ID: <deep@x>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="n0"'
    )
    return raw(head, body + tail)


class Counting:
    """How many Message objects the stdlib parser builds: the work done."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = email.message.Message.__init__

        def init(message: email.message.Message, *args: object, **kw: object) -> None:
            self.count += 1
            original(message, *args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(email.message.Message, "__init__", init)


def test_sixty_thousand_parts_are_parsed_only_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    data = many_parts(60_000)
    counting = Counting(monkeypatch)
    ev = event(data)
    limit = ParseLimits().max_parts
    assert counting.count <= 2 * limit  # the stdlib parser never saw the rest
    assert ev.id.startswith("email:<parts@x>")
    assert ev.subject == "parts"
    assert any(f"more than {limit} MIME parts" in d for d in ev.defects), ev.defects


def test_a_mail_under_the_caps_is_parsed_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    ev = event(many_parts(20))
    assert not any("MIME parts" in d for d in ev.defects), ev.defects
    assert "p19" in ev.text


def test_deep_nesting_is_cut_before_the_parser_recurses(monkeypatch: pytest.MonkeyPatch) -> None:
    limit = ParseLimits().max_depth
    counting = Counting(monkeypatch)
    ev = event(nested(5_000))
    assert counting.count <= 2 * limit + 2
    assert any("nesting deeper" in d for d in ev.defects), ev.defects


def test_too_large_a_mail_is_kept_with_its_headers() -> None:
    data = raw("From: a@x.org\nSubject: big\nMessage-ID: <big@x>", "x" * 5000 + "\r\n")
    ev = event(data, limits=ParseLimits(max_bytes=1000))
    assert ev.subject == "big" and ev.id.startswith("email:<big@x>")
    assert any("over the 1000-byte cap" in d for d in ev.defects), ev.defects
