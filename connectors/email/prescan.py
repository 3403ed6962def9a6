"""A cheap look at the raw bytes that cuts a message to the parse caps *before* parsing.

The stdlib parser builds every MIME part it finds before anything can count them: a
3 MB mail of 60,000 tiny parts cost 13 s of parsing, and a deep nest recurses a
generator per level. This scan reads only delimiter lines and Content-Type headers
(byte regexes, C speed), finds where the message first goes past a cap (size, parts,
nesting) and cuts it there. The parser then sees a prefix: the first parts intact, a
part cut short at the end (the parser notes a missing close delimiter as a defect), and
the caller keeps the mail with a defect that says what was left out.

A boundary is read by the stdlib itself (``Message.get_boundary`` on the Content-Type
header alone, with the parser's policy), so an RFC 2231 parameter (``boundary*0="a";
boundary*1="b"``, ``boundary*=utf-8''ab``) or a quoted-pair means the same here as to
the parser: encoding the boundary does not hide the parts from the caps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

from connectors.email.headers import SAFE_POLICY

# One pass over the lines that matter, in order: a Content-Type header with its folded
# continuation lines (RFC 5322 2.2.3), or a delimiter line, which RFC 2046 5.1.1 defines
# as "--" boundary, "--" more for the close delimiter, then optional whitespace (read
# in Python: a regex with a lazy boundary and trailing blanks backtracks quadratically
# on a long line of blanks). A boundary has no length limit here, as in the parser.
_MARK = re.compile(rb"(?im)^(?:(content-type:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)|--([^\r\n]+))")
_MULTIPART = re.compile(rb"(?i)^content-type:\s*multipart/")
_RFC822 = re.compile(rb"(?i)^content-type:\s*message/rfc822")


@dataclass(slots=True)
class Cut:
    """The bytes to parse and what was left out of them."""

    data: bytes
    defects: list[str] = field(default_factory=list)


def cut(data: bytes, *, max_bytes: int, max_parts: int, max_depth: int) -> Cut:
    """Never raises on any input; returns ``data`` itself when it is within the caps."""
    out = Cut(data)
    if len(data) > max_bytes:
        out.defects.append(
            f"message is {len(data)} bytes, over the {max_bytes}-byte cap: the rest was not read"
        )
        out.data = data = data[:max_bytes]
    position = _first_past_caps(data, max_parts=max_parts, max_depth=max_depth, defects=out.defects)
    if position is not None:
        out.data = data[:position]
    return out


def _first_past_caps(data: bytes, *, max_parts: int, max_depth: int, defects: list[str]) -> int | None:
    """Offset of the first line past a cap, walking headers and delimiters in order.

    Nesting is followed with a stack of open boundaries: a multipart Content-Type opens
    its boundary one level below the innermost open one, a delimiter of an outer
    boundary closes the inner ones (RFC 2046 5.1.2: a part's encapsulated boundaries
    end with it). message/rfc822 parts count as parts and, conservatively, as a level
    that stays open until their enclosing part ends."""
    open_: list[bytes | None] = []  # boundaries, innermost last; None for an rfc822 level
    parts = 1
    for m in _MARK.finditer(data):
        header = m.group(1)
        if header is not None:
            if _MULTIPART.match(header):
                found = boundary_of(header)
                if found is None:
                    continue
                open_.append(found)
            elif _RFC822.match(header):
                open_.append(None)
                parts += 1
            else:
                continue
            if len(open_) > max_depth:
                defects.append(f"MIME nesting deeper than {max_depth}: the inner parts were not read")
                return m.start()
            if parts > max_parts:
                defects.append(f"more than {max_parts} MIME parts: the rest was not read")
                return m.start()
            continue
        line = m.group(2).rstrip(b" \t\r")
        close = line.endswith(b"--")
        boundary = line[:-2] if close else line
        if close and boundary not in open_ and boundary + b"--" in open_:
            boundary, close = boundary + b"--", False  # a boundary that itself ends in "--"
        if boundary not in open_:
            continue  # a line that only looks like a delimiter (a signature, a table)
        while open_ and open_[-1] != boundary:
            open_.pop()
        if close:
            open_.pop()
            continue
        parts += 1
        if parts > max_parts:
            defects.append(f"more than {max_parts} MIME parts: the rest was not read")
            return m.start()
    return None


_HEADERS = BytesHeaderParser(policy=SAFE_POLICY)


def boundary_of(header: bytes) -> bytes | None:
    """The boundary of a ``Content-Type: multipart/...`` header line (folded lines
    included), as the stdlib parser will read it, in the bytes a delimiter line carries.

    The parser decodes lines as ASCII with surrogate escapes, so a boundary with a
    character outside ASCII (from an RFC 2231 charset) can match no line there; as UTF-8
    here it may match one, which only counts parts the parser would not: the safe side."""
    boundary = _HEADERS.parsebytes(header + b"\r\n\r\n").get_boundary()
    if not boundary:
        return None
    return boundary.encode("utf-8", "surrogateescape")
