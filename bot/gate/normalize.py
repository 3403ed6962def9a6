"""Text normalisation before any scan: the gate reads what a mail client would show.

An attacker who wants a link or an address past the gate writes it so that a regex
over the raw text misses it but a reader (or a mail client's auto-linker) still sees
it: fullwidth letters, ideographic dots, zero-width joiners, bidi overrides, defanged
forms (``hxxp``, ``[.]``, ``alice at evil dot net``), punycode, look-alike letters from
another script. Every scanner of outgoing text reads ``normalize(text)`` first, and
hosts are compared in one canonical form (``host_key``), so that the same host written
two ways is the same host and two different hosts never look alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import idna

from bot.first_char import guarded
from bot.gate.numerals import display_order
from bot.needles import Needles, may_match, skeleton

# UTS 46 section 2.3: these four are label separators for IDNA, i.e. a browser reads
# "evil。net" as "evil.net". NFKC maps U+FF0E to "." but leaves U+3002 and maps U+FF61
# to U+3002.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": ".", "\u2024": ".", "\ufe52": "."})

# Refanging (the threat-intel "defang" conventions, in reverse). Brackets of any kind
# around a dot, "at" or a colon; spelled-out words only between address-like tokens.
_BRACKET_DOT = guarded(r"\s?[\[\(\{<]\s*(?:\.|dot|punkt|point)\s*[\]\)\}>]\s?", re.IGNORECASE)
_BRACKET_AT = guarded(r"\s?[\[\(\{<]\s*(?:@|at|ät|arobase|chez)\s*[\]\)\}>]\s?", re.IGNORECASE)
_BRACKET_COLON = guarded(r"[\[\(\{]\s*(:|://)\s*[\]\)\}]")
_HXXP = guarded(r"\bh(?:xx|\*\*|XX|tt)p(s?)(?=\s*[:\[\(])", re.IGNORECASE)
_SCHEME_GAP = guarded(r"\b(https?|ftp)\s*:\s*/\s*/\s*", re.IGNORECASE)
# "evil dot net", "evil DOT net", "evil punkt de", "evil point fr": a word, the spelled
# dot, then a label; the result is a link only if a real public suffix ends it.
_WORD_DOT = guarded(
    r"(?<=[\w-])\s+(?:dot|DOT|Dot|punkt|Punkt|point|punto|punt|ponto|точка|kropka|τελεία)\s+(?=[\w-])"
)
# The spelled dot of Chinese and Japanese (点, 點, ドット), written with or without spaces
# between two ASCII labels: "evil点com", "evil ドット com".
_CJK_DOT_WORDS = ("点", "點", "ドット", "닷")
_CJK_DOT = guarded(r"(?<=[A-Za-z0-9-])\s*(?:" + "|".join(_CJK_DOT_WORDS) + r")\s*(?=[A-Za-z0-9-])")
# "alice at evil.net" becomes an address only when the local part looks like one
# (a dot, digit, underscore, plus or hyphen in it) or the domain was itself defanged:
# plain English "meet at acme.com" stays a sentence with a link in it.
# The spelled "@" of other languages: собака (ru), małpa (pl), arroba (es, pt), arobase
# (fr), chiocciola (it), apenstaartje (nl), Klammeraffe (de).
_WORD_AT = guarded(
    r"(?P<local>[\w.+-]+)\s+(?:at|AT|At|chez|bei|собака|małpa|arroba|arobase|chiocciola|apenstaartje"
    r"|klammeraffe|Klammeraffe)\s+(?P<domain>(?:[\w-]+\.)+[\w-]{2,})\b"
)
_MAILBOXY = guarded(r"[.\d_+-]")


def _strip_format(text: str) -> str:
    """Drop format characters (Unicode category Cf: zero-width space/joiners, bidi
    embeddings, overrides and isolates, the word joiner, BOM, soft hyphen, tag
    characters). They render as nothing, so "pay\u200b.evil.net" is "pay.evil.net" to a
    reader; Unicode TR 36 3.1 lists them as a spoofing vector."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def fold(text: str) -> str:
    """NFKC, ideographic dots, no format characters: what a reader sees, in ASCII
    wherever Unicode has an ASCII compatibility form (fullwidth "ｅｖｉｌ．ｎｅｔ", "＠")."""
    if text.isascii():
        return text
    text = display_order(text)  # a right-to-left override shows "ten.live" as "evil.net"
    return _strip_format(unicodedata.normalize("NFKC", text.translate(_DOTS))).translate(_DOTS)


def refang(text: str) -> str:
    """Undo the usual defanging: ``hxxp``, ``[.]``, ``(dot)``, ``[at]``, ``[:]``, spelled
    ``dot`` between words, and ``at`` between an address-like local part and a domain.

    Each pattern runs only on a text that holds the characters it cannot match without
    (a bracket, a colon, a spelled dot or at), checked on the text as it is at that step:
    most texts hold no bracket and no "dot", and skip most of the work."""
    cjk = _has_any(text, _CJK_DOT_WORDS) and _CJK_DOT.search(text) is not None
    if _has_any(text, ":[(") and may_match(_HXXP_NEEDLES, skeleton(text)):
        text = _HXXP.sub(lambda m: "http" + m[1], text)
    if ":" in text and _has_any(text, "[({"):
        text = _BRACKET_COLON.sub(lambda m: m[1], text)
    if ":" in text and "/" in text:
        text = _SCHEME_GAP.sub(lambda m: m[1] + "://", text)
    if cjk:
        text = _CJK_DOT.sub(".", text)
    bracket_dot = _BRACKET_DOT_CORE.search(text) is not None
    defanged_dot = cjk or bracket_dot or (_has_any(text, _DOT_WORDS) and _WORD_DOT.search(text) is not None)
    if bracket_dot:
        text = _BRACKET_DOT.sub(".", text)
    if _BRACKET_AT_CORE.search(text):
        text = _BRACKET_AT.sub("@", text)
    if _has_any(text, _DOT_WORDS):
        text = _WORD_DOT.sub(".", text)
    if "." not in text or not _has_any(text, _AT_WORDS):
        return text

    def at(m: re.Match[str]) -> str:
        if defanged_dot or _MAILBOXY.search(m["local"]):
            return f"{m['local']}@{m['domain']}"
        return m[0]

    return _WORD_AT.sub(at, text)


# What the patterns above cannot match without: the bracketed forms without their
# optional blank either side (sre tries those patterns at every position; these start
# with a bracket, which it finds by a fast scan), the scheme words of _HXXP, and the
# literal words _WORD_DOT and _WORD_AT are written with (both case-sensitive).
_BRACKET_DOT_CORE = guarded(r"[\[\(\{<]\s*(?:\.|dot|punkt|point)\s*[\]\)\}>]", re.IGNORECASE)
_BRACKET_AT_CORE = guarded(r"[\[\(\{<]\s*(?:@|at|ät|arobase|chez)\s*[\]\)\}>]", re.IGNORECASE)
_HXXP_NEEDLES: Needles = (("hxxp",), ("h**p",), ("http",))
# Read from the patterns themselves (their first "\s+(?:a|b|c)\s+" group), so that a
# word added to a pattern is a needle at once.


def _spelled_words(pattern: re.Pattern[str]) -> tuple[str, ...]:
    group = re.search(r"\\s\+\(\?:([^()]*)\)\\s\+", pattern.pattern)
    assert group is not None and "\\" not in group[1], pattern.pattern  # plain words only
    return tuple(group[1].split("|"))


_DOT_WORDS = _spelled_words(_WORD_DOT)
_AT_WORDS = _spelled_words(_WORD_AT)


def _has_any(text: str, needles: Iterable[str]) -> bool:
    for needle in needles:
        if needle in text:
            return True
    return False


@lru_cache(maxsize=64)
def normalize(text: str) -> str:
    """The form every link and address scan reads. Cached: the link scan and the address
    scan of one reply (and the gate's second look at the same text) read the same form."""
    return refang(fold(text))


@lru_cache(maxsize=4096)
def host_key(host: str) -> str:
    """One canonical ASCII form of a host: UTS 46 mapping (case, fullwidth, ideographic
    dots), then IDNA 2008 ToASCII, so "Bücher.example", "bücher.example" and
    "xn--bcher-kva.example" are one key. A host IDNA refuses (mixed bidi, disallowed
    code points) keeps its folded form: it never equals a trusted one by accident."""
    host = fold(host).strip().rstrip(".").lower()
    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
        return idna.encode(mapped, uts46=False).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        return host


def host_unicode(host: str) -> str:
    """The display form of a host (punycode decoded), for the look-alike check."""
    try:
        return idna.decode(host_key(host))
    except (idna.IDNAError, UnicodeError, ValueError):
        return host


_SCRIPT_NAMES = ("LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC", "GEORGIAN")


def _script(ch: str) -> str:
    """The script of a letter by its Unicode name (good enough for the scripts whose
    letters look Latin: UTS 39 5.1 "mixed-script confusables")."""
    if not ch.isalpha():
        return ""
    name = unicodedata.name(ch, "")
    for script in _SCRIPT_NAMES:
        if name.startswith(script):
            return script
    return name.split(" ", 1)[0]


def mixed_script_label(host: str) -> str | None:
    """The first label of a host that mixes scripts ("pаypal" with a Cyrillic а), or an
    all-Cyrillic/Greek label made only of letters that look Latin ("раураl"): a
    homograph (UTS 39 5.1, 5.2). None for a host in one honest script."""
    for label in host_unicode(host).split("."):
        scripts = {s for s in (_script(ch) for ch in label) if s}
        if len(scripts) > 1:
            return label
        if scripts & {"CYRILLIC", "GREEK"} and _all_latin_lookalikes(label):
            return label
    return None


# Cyrillic and Greek letters whose glyphs are (near) identical to Latin ones (from the
# Unicode confusables.txt table, the lower-case letters a whole-script spoof uses).
_LATIN_LOOKALIKES = frozenset("аеорсухіјѕԁԛԝһӏкмнтвпαеορτυνικχ")


def _all_latin_lookalikes(label: str) -> bool:
    letters = [ch for ch in label.lower() if ch.isalpha()]
    return bool(letters) and all(ch in _LATIN_LOOKALIKES for ch in letters)
