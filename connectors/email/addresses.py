"""Address and domain helpers: normalisation and DMARC-style alignment.

Identity decisions compare addr-specs and domains, never display names.
"""

from __future__ import annotations

import re
from email.utils import getaddresses
from typing import TYPE_CHECKING

from bot.errors import ConfigError
from connectors.email.text import clean

if TYPE_CHECKING:
    from bot.channels.contract import ConnectorRuntime

# RFC 5322 3.4.1 dot-atom addr-spec, the subset real mail uses; quoted local parts are
# accepted when parsing inbound mail but never produced.
_ADDR_SPEC = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$"
)


def normalize(address: str) -> str:
    return clean(address, keep_newlines=False).strip().strip("<>").strip().lower()


def is_valid_addr_spec(address: str) -> bool:
    return len(address) <= 254 and bool(_ADDR_SPEC.match(address))


def domain_of(address: str) -> str:
    _, sep, domain = address.rpartition("@")
    return domain.strip().rstrip(".").lower() if sep else ""


def split_plus(address: str) -> tuple[str, str]:
    """``deputy+secret@host`` -> (``deputy@host``, ``secret``) (RFC 5233 subaddress)."""
    local, sep, domain = address.rpartition("@")
    if not sep:
        return address, ""
    base, plus, detail = local.partition("+")
    return (f"{base}@{domain}" if plus else address), detail


MIN_PLUS_SECRET = 8
_PLUS_SECRET_OK = re.compile(r"[A-Za-z0-9_.=-]+")


def read_plus_secret(runtime: ConnectorRuntime, env_name: str) -> str | None:
    """The owner's plus-address secret from the environment, refused when it is short
    enough to guess or holds characters that do not survive a local part (RFC 5322
    3.4.1 dot-atom; "+" would start a second detail, RFC 5233)."""
    if not env_name:
        return None
    secret = runtime.secret(env_name, key="owner_plus_secret_env")
    if len(secret) < MIN_PLUS_SECRET:
        raise ConfigError(
            f"channels.{runtime.name}.owner_plus_secret_env: the secret in {env_name} must be at "
            f"least {MIN_PLUS_SECRET} characters"
        )
    if not _PLUS_SECRET_OK.fullmatch(secret):
        raise ConfigError(
            f"channels.{runtime.name}.owner_plus_secret_env: the secret in {env_name} may hold only "
            "letters, digits and . _ = -"
        )
    return secret


def strip_plus_secret(value: str, secret: str | None) -> str:
    """Remove "+secret" from every address in a header value or address, so that the
    owner's secret detail is never stored, shown or reused in a reply-all."""
    if not secret:
        return value
    return re.sub(re.escape("+" + secret) + r"(?=@)", "", value, flags=re.IGNORECASE)


def aligned(signing_domain: str, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489 3.1.1) approximated without a public suffix list:
    the same domain, or one a subdomain of the other, and never a bare TLD.

    A look-alike (examp1e.com) or a suffix trick (example.com.evil.net) is not aligned.
    """
    d = signing_domain.strip().rstrip(".").lower()
    f = from_domain.strip().rstrip(".").lower()
    if not d or not f or "." not in d or "." not in f:
        return False
    return d == f or f.endswith("." + d) or d.endswith("." + f)


def parse_address_list(values: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) pairs; never raises."""
    try:
        pairs = getaddresses(values)
    except Exception:
        return []
    out: list[tuple[str, str]] = []
    for name, addr in pairs:
        addr = normalize(addr)
        if addr:
            out.append((clean(name, keep_newlines=False).strip(), addr))
    return out
