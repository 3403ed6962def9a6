"""The prescan reads a multipart boundary as the stdlib parser does, RFC 2231 included
(``boundary*0=...; boundary*1=...``, ``boundary*=charset''...``), so encoding the boundary
does not carry 60,000 parts past the parse caps. Real crafted mails, parsed whole."""

from __future__ import annotations

from email.parser import BytesParser

import pytest
from email_helpers import event, raw
from test_email_caps import Counting

from connectors.email.headers import SAFE_POLICY
from connectors.email.parse import ParseLimits
from connectors.email.prescan import boundary_of, cut

# (Content-Type parameters as written, the boundary its delimiter lines carry)
ENCODINGS = [
    ('boundary*0="ab"; boundary*1="cd"', "abcd"),
    ("boundary*0=ab; boundary*1=cd; boundary*2=ef", "abcdef"),
    ("boundary*=utf-8''abcd", "abcd"),
    ("boundary*=us-ascii'en'ab%2Dcd", "ab-cd"),
    ("boundary*0*=utf-8''ab%2D; boundary*1=\"cd\"", "ab-cd"),
    ('boundary*1="cd"; boundary*0="ab"', "abcd"),  # RFC 2231 3: any order
    ('boundary="a\\"b"', 'a"b'),  # a quoted-pair (RFC 5322 3.2.4)
    ('boundary="plain"', "plain"),
]


def mail(params: str, boundary: str, count: int, *, folded: bool = False) -> bytes:
    parts = "".join(f"--{boundary}\r\nContent-Type: text/plain\r\n\r\np{n}\r\n" for n in range(count))
    sep = ";\r\n " if folded else "; "
    head = (
        "From: a@x.org\nTo: deputy@deputy.test\nSubject: encoded\nMessage-ID: <enc@x>\n"
        f"MIME-Version: 1.0\nContent-Type: multipart/mixed{sep}{params}"
    )
    return raw(head, "preamble\r\n" + parts + f"--{boundary}--\r\n")


def stdlib_parts(data: bytes) -> int:
    return sum(1 for _ in BytesParser(policy=SAFE_POLICY).parsebytes(data).walk())


@pytest.mark.parametrize(("params", "boundary"), ENCODINGS)
def test_the_boundary_is_the_parsers(params: str, boundary: str) -> None:
    data = mail(params, boundary, 3)
    parser = BytesParser(policy=SAFE_POLICY).parsebytes(data)
    assert parser.get_boundary() == boundary  # the crafted mail means what we think
    assert stdlib_parts(data) == 4  # the container and three parts
    header = next(line for line in data.split(b"\r\n\r\n")[0].split(b"\r\n") if b"multipart" in line)
    assert boundary_of(header) == boundary.encode()


@pytest.mark.parametrize(("params", "boundary"), ENCODINGS[:5])
def test_an_encoded_boundary_does_not_hide_parts_from_the_cap(params: str, boundary: str) -> None:
    limits = ParseLimits(max_parts=20)
    data = mail(params, boundary, 100, folded=True)
    within = cut(data, max_bytes=limits.max_bytes, max_parts=limits.max_parts, max_depth=limits.max_depth)
    assert any("more than 20 MIME parts" in d for d in within.defects), within.defects
    assert stdlib_parts(within.data) <= limits.max_parts + 1


@pytest.mark.parametrize("params", ['boundary*0="b"; boundary*1="0"', "boundary*=utf-8''b0"])
def test_sixty_thousand_parts_behind_an_rfc2231_boundary(
    params: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = mail(params, "b0", 60_000)
    assert len(data) > 2_000_000
    counting = Counting(monkeypatch)
    ev = event(data)
    limit = ParseLimits().max_parts
    assert counting.count <= 2 * limit + 4  # the parser never saw the rest (60,002 before)
    assert ev.subject == "encoded" and ev.id.startswith("email:<enc@x>")
    assert any(f"more than {limit} MIME parts" in d for d in ev.defects), ev.defects


def test_a_long_line_of_blanks_after_dashes_is_read_in_linear_time() -> None:
    """A delimiter-like line of a million blanks: no regex backtracking on it."""
    body = "--b0\r\nContent-Type: text/plain\r\n\r\n--a" + " " * 1_000_000 + "b\r\n--b0--\r\n"
    data = raw('From: a@x.org\nMessage-ID: <l@x>\nContent-Type: multipart/mixed; boundary="b0"', body)
    within = cut(data, max_bytes=25_000_000, max_parts=200, max_depth=20)
    assert within.data == data and not within.defects
