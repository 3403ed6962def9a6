"""Links and addresses in outgoing text, in every disguise, as comparable keys.

The gate blocks a link or an address that no trusted source (the rule, the owner,
Deputy's own earlier messages) already holds. Two things make that hold against a
clever attacker: the text is normalised first (``bot.gate.normalize``), so fullwidth,
zero-width, defanged and punycode forms are found; and each find is reduced to a key
(registrable domain + path for a link, local part + ASCII domain for an address), so
a trusted link written differently still passes and a look-alike never does.

A bare host counts as a link when its last labels are a real public suffix (the
Public Suffix List bundled with tldextract, read offline), so ``pay-here.io`` or
``evil.photography`` is a link while ``invoice.pdf`` or ``e.g.`` is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

import tldextract

from bot.first_char import guarded
from bot.gate.normalize import host_key, mixed_script_label, normalize

# suffix_list_urls=() and cache_dir=None: never fetch the list, never write a cache;
# the snapshot shipped inside the package is used. Private suffixes (github.io,
# blogspot.com) count as suffixes, so two users' pages are two registrable domains.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)

_STOP = r"\s<>\"'`)\]}|\\^"
_LABEL = r"[\w](?:[\w-]{0,62})"
_SCHEME_URL = guarded(rf"(?i)\b(?P<scheme>[a-z][a-z0-9+.-]{{1,15}}):(?P<rest>//[^{_STOP}]+|[^{_STOP}]+)")
_BARE = guarded(
    rf"(?<![\w@.-])(?P<host>(?:{_LABEL}\.)+{_LABEL})(?P<port>:\d{{1,5}})?(?P<path>/[^{_STOP}]*)?",
)
_IPV4 = guarded(r"(?<![\w.])(?P<host>\d{1,3}(?:\.\d{1,3}){3})(?P<port>:\d{1,5})?(?P<path>/[^\s<>\"')\]]*)?")
_ADDRESS = guarded(r"(?<![\w.+-])(?P<local>[\w.%+'-]{1,64})@(?P<domain>(?:[\w-]+\.)+[\w-]{2,})")
# Schemes that are links to somewhere (or run something); "re:", "fwd:", "note:" and
# "10:30" are not.
_LINK_SCHEMES = frozenset(
    {"http", "https", "ftp", "ftps", "sftp", "file", "data", "javascript", "vbscript", "mailto", "tel"}
    | {"sms", "ws", "wss", "git", "ssh", "smb", "ldap", "news", "irc", "magnet", "skype", "whatsapp"}
)
# Redirectors: the key says nothing about where the link goes.
SHORTENERS = frozenset(
    {"bit.ly", "t.co", "tinyurl.com", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly", "cutt.ly"}
    | {"shorturl.at", "rb.gy", "t.ly", "tiny.cc", "lnkd.in", "s.id", "v.gd", "bl.ink", "short.io"}
    | {"qrco.de", "urlz.fr", "shorturl.asia", "x.co", "adf.ly", "bit.do", "soo.gd", "clck.ru"}
)
_TRAILING = ".,;:!?*"


@dataclass(frozen=True, slots=True)
class Link:
    """One link as written (``raw``) and as compared (``key``)."""

    raw: str
    key: str  # registrable domain + path, lower case; the whole text for odd schemes
    host: str = ""  # ASCII host
    risk: str = ""  # why this link is dangerous even where links are allowed
    exact: str = ""  # full ASCII host + port + path: what a risky link must match


def _registrable(host: str) -> str | None:
    """The registrable domain of an ASCII host, None when no public suffix ends it."""
    parts = _EXTRACT(host)
    if not parts.suffix:
        return None
    return f"{parts.domain}.{parts.suffix}" if parts.domain else None


def _path_key(path: str) -> str:
    path = unquote(path or "").rstrip(_TRAILING).rstrip("/").lower()
    return path.split("#", 1)[0]


def _link(raw: str, host: str, path: str, *, explicit: bool, port: str = "") -> Link | None:
    raw = raw.rstrip(_TRAILING)
    if "@" in host:  # RFC 3986 3.2.1 userinfo: "https://bank.com@evil.net/" goes to evil.net
        userinfo, host = host.rsplit("@", 1)
        risk = f"link hides its host behind {userinfo!r}@"
    else:
        risk = ""
    host = host.rstrip(_TRAILING)
    ascii_host = host_key(host)
    exact = ascii_host + port + _path_key(path)
    if _IPV4.fullmatch(ascii_host) or ascii_host.startswith("["):
        return Link(raw=raw, key=exact, host=ascii_host, risk="link to an IP address", exact=exact)
    if re.fullmatch(r"\d+", ascii_host or "x") or re.fullmatch(r"0x[0-9a-f]+", ascii_host):
        return Link(raw=raw, key=exact, host=ascii_host, risk="link to a numeric host", exact=exact)
    registrable = _registrable(ascii_host)
    if registrable is None:
        if not explicit:
            return None  # "invoice.pdf", "e.g", "v1.2": no public suffix, not a link
        registrable = ascii_host
    lookalike = mixed_script_label(ascii_host)
    if lookalike:
        risk = f"look-alike host (mixed scripts in {lookalike!r})"
    elif registrable in SHORTENERS:
        risk = f"URL shortener {registrable}"
    return Link(raw=raw, key=registrable + port + _path_key(path), host=ascii_host, risk=risk, exact=exact)


def _scheme_link(m: re.Match[str]) -> Link | None:
    scheme = m["scheme"].lower()
    if scheme not in _LINK_SCHEMES:
        return None
    rest = m["rest"]
    if scheme == "mailto":
        return None  # an address: found by find_addresses
    if rest.startswith("//"):
        authority, _, tail = rest[2:].partition("/")
        hostport = authority.split("?", 1)[0].split("#", 1)[0]
        userinfo = ""
        if "@" in hostport:
            userinfo, hostport = hostport.rsplit("@", 1)
        host, port = hostport, ""
        pm = re.fullmatch(r"(.*?)(:\d{1,5})", hostport)
        if pm:
            host, port = pm[1], pm[2]
        if host:
            return _link(
                m[0],
                f"{userinfo}@{host}" if userinfo else host,
                "/" + tail if tail else "",
                explicit=True,
                port=port,
            )
    # data:, javascript:, tel: ...: compared as written.
    key = m[0].rstrip(_TRAILING).lower()
    return Link(raw=m[0], key=key, risk=f"{scheme}: link", exact=key)


def find_links(text: str) -> list[Link]:
    """Every link in a text after normalisation: with a scheme, ``www.``, a bare host
    with any public suffix (with or without a path), an IP literal."""
    norm = normalize(text)
    found: list[Link] = []
    taken: list[tuple[int, int]] = []
    for m in _SCHEME_URL.finditer(norm):
        link = _scheme_link(m)
        if link is not None:
            found.append(link)
            taken.append(m.span())
    masked = _mask_addresses(_mask(norm, taken))
    for m in _IPV4.finditer(masked):
        if all(int(o) <= 255 for o in m["host"].split(".")):
            link = _link(m[0], m["host"], m["path"] or "", explicit=True, port=m["port"] or "")
            if link is not None:
                found.append(link)
                taken.append(m.span())
    masked = _mask(masked, taken)
    for m in _BARE.finditer(masked):
        host = m["host"]
        if host.replace(".", "").isdigit():
            continue
        link = _link(
            m[0], host, m["path"] or "", explicit=host.lower().startswith("www."), port=m["port"] or ""
        )
        if link is not None:
            found.append(link)
    return found


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    for a, b in spans:
        text = text[:a] + " " * (b - a) + text[b:]
    return text


def _mask_addresses(text: str) -> str:
    return _ADDRESS.sub(lambda m: " " * len(m[0]), text) if "@" in text else text


def link_keys(text: str) -> frozenset[str]:
    """Both keys of every link: the registrable key and the exact one."""
    return frozenset(k for link in find_links(text) for k in (link.key, "=" + link.exact))


@lru_cache(maxsize=256)
def trusted_link_keys(text: str) -> frozenset[str]:
    """Keys of a trusted text (a rule's template and instructions: the same for every
    event the rule handles, so scanned once)."""
    return link_keys(text)


def is_trusted(link: Link, trusted: frozenset[str]) -> bool:
    """A link passes on its registrable domain + path; a risky one (a look-alike label,
    say "οwner.example.com" with a Greek omicron under a trusted example.com) only when
    the trusted text holds exactly that host and path."""
    return ("=" + link.exact) in trusted if link.risk else link.key in trusted


def address_key(local: str, domain: str) -> str:
    return f"{local.lower()}@{host_key(domain)}"


def find_addresses(text: str) -> frozenset[str]:
    """Every address after normalisation ("alice at evil dot net", "alice＠evil.net",
    "alice[at]evil[.]net"), as ``local@ascii-domain`` keys."""
    norm = normalize(text)
    if "@" not in norm:
        return frozenset()
    return frozenset(
        address_key(m["local"].strip(".'"), m["domain"].rstrip(".")) for m in _ADDRESS.finditer(norm)
    )


def address_keys(addresses: frozenset[str] | set[str]) -> frozenset[str]:
    """Known addresses (participants, the owner) in the same key form."""
    out: set[str] = set()
    for a in addresses:
        local, _, domain = a.strip().rpartition("@")
        out.add(address_key(local, domain) if local else a.strip().lower())
    return frozenset(out)
