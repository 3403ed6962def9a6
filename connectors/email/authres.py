"""Is this mail really from the owner? (RFC 8601 Authentication-Results)

A From header proves nothing: anyone can write the owner's address. Mail counts as
the owner's only when the receiving MTA that *we* configured (its authserv-id) says
DKIM or DMARC passed for the owner's domain, or, on set-ups without such an MTA,
when it arrives at a secret plus-address only the owner knows.

Only the TOPMOST Authentication-Results header carrying our authserv-id counts:
an MTA prepends its header (RFC 8601 5), so anything below it was written by
someone earlier on the path, possibly the sender.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field

from connectors.email.addresses import aligned, domain_of, normalize, split_plus


@dataclass(frozen=True, slots=True)
class MethodResult:
    method: str  # "dkim", "dmarc", "spf", ...
    result: str  # "pass", "fail", ...
    props: dict[str, str] = field(default_factory=dict)  # "header.d" -> "example.com"


@dataclass(frozen=True, slots=True)
class AuthResults:
    authserv_id: str
    results: tuple[MethodResult, ...]


@dataclass(frozen=True, slots=True)
class OwnerVerdict:
    verified: bool
    method: str = ""  # "dkim" | "dmarc" | "plus_secret" | ""
    reason: str = ""


# --- RFC 8601 2.2 lexer -------------------------------------------------------------------
# Tokens: ("q", text) a quoted-string with its quoted-pairs resolved (RFC 5322 3.2.4),
# ("a", text) a run of other characters, (";", ";") and ("=", "="). CFWS (whitespace
# and nested comments, RFC 5322 3.2.2) only separates tokens. A ";" or "=" inside a
# quoted string or a comment is never structure: that is what keeps a forged
# reason="\"; dkim=pass" from reading as a second result.

Token = tuple[str, str]
_SPECIALS = frozenset(';="()\\')


def _tokens(value: str) -> list[Token] | None:
    """The tokens of a header value, or None when it is malformed (an unterminated
    quoted string or comment): such a header proves nothing."""
    out: list[Token] = []
    i, n = 0, len(value)
    while i < n:
        ch = value[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            depth = 0
            while i < n:
                c = value[i]
                if c == "\\":
                    i += 2  # quoted-pair inside a comment (RFC 5322 3.2.2 ccontent)
                    continue
                depth += (c == "(") - (c == ")")
                i += 1
                if depth == 0:
                    break
            if depth:
                return None
        elif ch == '"':
            i += 1
            text: list[str] = []
            closed = False
            while i < n:
                c = value[i]
                if c == "\\" and i + 1 < n:
                    text.append(value[i + 1])
                    i += 2
                elif c == '"':
                    closed = True
                    i += 1
                    break
                else:
                    text.append(c)
                    i += 1
            if not closed:
                return None
            out.append(("q", "".join(text)))
        elif ch in ";=":
            out.append((ch, ch))
            i += 1
        elif ch == ")":
            return None  # a comment closed that never opened
        else:
            j = i
            while j < n and not value[j].isspace() and value[j] not in _SPECIALS:
                j += 1
            if j == i:  # a lone backslash outside any quoted string
                return None
            out.append(("a", value[i:j]))
            i = j
    return out


def _resinfo(tokens: list[Token]) -> MethodResult | None:
    """One resinfo (RFC 8601 2.2): methodspec [reasonspec] *propspec; None when
    malformed, so a garbled result never counts as a pass."""
    # method [ "/" version ]: the version may sit in the same atom ("dkim/1") or, with
    # CFWS around the slash, in the next ones.
    words = list(tokens)
    if len(words) < 3 or words[0][0] != "a":
        return None
    method = words[0][1]
    k = 1
    while k < len(words) and words[k][0] == "a" and (words[k][1].startswith("/") or method.endswith("/")):
        method += words[k][1]
        k += 1
    method = method.lower().split("/", 1)[0]
    if not method or "." in method or k + 1 >= len(words) or words[k][0] != "=" or words[k + 1][0] != "a":
        return None
    result = words[k + 1][1].lower()
    props: dict[str, str] = {}
    k += 2
    while k < len(words):
        if k + 2 >= len(words):
            return None  # a property without "=" and a value
        key, eq, val = words[k], words[k + 1], words[k + 2]
        if key[0] != "a" or eq[0] != "=" or val[0] not in {"a", "q"}:
            return None
        name = key[1].lower()
        if name != "reason" and "." not in name:
            return None  # RFC 8601 2.2 propspec is ptype "." property
        props.setdefault(name, val[1].strip())
        k += 3
    return MethodResult(method=method, result=result, props=props)


def _split_equals(tokens: list[Token]) -> list[Token]:
    """Atoms such as "dkim=pass" or "header.d=example.com" carry their "=" inside."""
    out: list[Token] = []
    for kind, text in tokens:
        if kind != "a" or "=" not in text:
            out.append((kind, text))
            continue
        parts = text.split("=")
        for idx, part in enumerate(parts):
            if idx:
                out.append(("=", "="))
            if part:
                out.append(("a", part))
    return out


def parse(value: str) -> AuthResults | None:
    """Parse one header value (RFC 8601 2.2); None when it has no authserv-id or is
    malformed. Results that do not parse are dropped, never guessed."""
    raw = _tokens(value)
    if not raw:
        return None
    tokens = _split_equals(raw)
    groups: list[list[Token]] = [[]]
    for token in tokens:
        if token[0] == ";":
            groups.append([])
        else:
            groups[-1].append(token)
    head = groups[0]
    if not head or head[0][0] not in {"a", "q"}:
        return None
    authserv_id = head[0][1].lower()
    # authserv-id [CFWS authres-version]: anything else before the first ";" is malformed.
    if len(head) > 2 or (len(head) == 2 and not (head[1][0] == "a" and head[1][1].isdigit())):
        return None
    results: list[MethodResult] = []
    for group in groups[1:]:
        if len(group) == 1 and group[0] == ("a", "none"):
            continue  # no-result (RFC 8601 2.2)
        parsed = _resinfo(group)
        if parsed is not None:
            results.append(parsed)
    return AuthResults(authserv_id=authserv_id, results=tuple(results))


def ours(header_values: Sequence[str], authserv_id: str) -> AuthResults | None:
    """The topmost header whose authserv-id is ours; anything below is ignored."""
    wanted = authserv_id.strip().lower()
    if not wanted:
        return None
    for value in header_values:
        parsed = parse(value)
        if parsed is not None and parsed.authserv_id == wanted:
            return parsed
    return None


def _dkim_domain(result: MethodResult) -> str:
    d = result.props.get("header.d", "")
    if d:
        return d.lower()
    identity = result.props.get("header.i", "")
    return domain_of(identity) if "@" in identity else identity.lower()


def verify_owner(
    *,
    from_addresses: Sequence[str],
    owner_emails: Sequence[str],
    auth_results: Sequence[str],
    authserv_id: str | None,
    recipients: Sequence[str] = (),
    own_addresses: Sequence[str] = (),
    plus_secret: str | None = None,
) -> OwnerVerdict:
    """Decide owner-ness. ``from_addresses`` is every address in every From header;
    anything but exactly one is refused (RFC 7489 6.6.1 rejects such mail too)."""
    owners = {normalize(e) for e in owner_emails if e}
    if len(from_addresses) != 1:
        return OwnerVerdict(False, reason=f"{len(from_addresses)} From addresses")
    sender = normalize(from_addresses[0])
    if sender not in owners:
        return OwnerVerdict(False, reason="From is not an owner address")
    from_domain = domain_of(sender)

    if authserv_id:
        results = ours(auth_results, authserv_id)
        if results is not None:
            for r in results.results:
                if r.method == "dkim" and r.result == "pass" and aligned(_dkim_domain(r), from_domain):
                    return OwnerVerdict(True, method="dkim")
                if r.method == "dmarc" and r.result == "pass":
                    header_from = r.props.get("header.from", "").lower()
                    if aligned(header_from, from_domain):
                        return OwnerVerdict(True, method="dmarc")

    if plus_secret and len(plus_secret) >= 8:
        bases = {normalize(a) for a in own_addresses if a}
        for address in recipients:
            base, detail = split_plus(normalize(address))
            if bases and base not in bases:
                continue
            if detail and hmac.compare_digest(detail.encode(), plus_secret.lower().encode()):
                return OwnerVerdict(True, method="plus_secret")

    return OwnerVerdict(False, reason="no passing aligned DKIM/DMARC from our authserv-id")
