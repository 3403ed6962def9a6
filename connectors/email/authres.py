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
import re
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


def _strip_comments(value: str) -> str:
    """Remove RFC 5322 comments (nested parentheses), keeping quoted strings intact."""
    out: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            if depth == 0:
                out.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if quoted:
            out.append(ch)
            if ch == '"':
                quoted = False
            continue
        if ch == '"' and depth == 0:
            quoted = True
            out.append(ch)
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth > 0:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _split_semicolons(value: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


_PAIR = re.compile(r'([A-Za-z0-9_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)')


def parse(value: str) -> AuthResults | None:
    """Parse one header value (RFC 8601 2.2); None when it has no authserv-id."""
    text = _strip_comments(value).strip()
    if not text:
        return None
    segments = _split_semicolons(text)
    head = segments[0].split()
    if not head:
        return None
    authserv_id = head[0].lower()
    results: list[MethodResult] = []
    for segment in segments[1:]:
        pairs = _PAIR.findall(segment)
        if not pairs:
            continue
        method, result = pairs[0]
        method = method.lower().split("/")[0]  # "dkim/1" carries a method version
        if "." in method:
            continue  # a property where a method must come first: malformed
        props: dict[str, str] = {}
        for key, raw in pairs[1:]:
            val = raw[1:-1] if raw.startswith('"') and raw.endswith('"') else raw
            props.setdefault(key.lower(), val.strip())
        results.append(MethodResult(method=method, result=result.lower().strip('"'), props=props))
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
