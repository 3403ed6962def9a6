"""The message's own text: what the sender wrote now, normalised, without the history.

Facts are read from the sender's own words only. A price quoted from our last mail, an
IBAN in a forwarded chain or "fällig am" in someone else's message must not become a
fact of this one, so everything from the first reply or forward header on is cut, and
">"-quoted lines are dropped wherever they are. The text is NFKC-normalised first (so
U+00A0 and U+202F in "1 840,00 €" are plain spaces, fullwidth digits are digits) and
capped, so that every scanner downstream runs over bounded, predictable input.
"""

from __future__ import annotations

import re
import unicodedata

from bot.first_char import guarded

# Past this, a mail is a document dump: facts come from its head (a 2 MB mail must not
# cost more than a small multiple of a normal one).
MAX_SCAN = 200_000

# Zero-width and soft-hyphen characters hide words from the scanners ("Bank\u200bdetails").
_INVISIBLE = guarded("[\u00ad\u180e\u200b-\u200d\u2060\ufeff]")

# A reply header written by a mail client on one line (or wrapped onto the next one).
_ATTRIBUTION = guarded(
    r"""(?ix)^\s*(?:
      on\s[^\n]{0,200}\swrote:\s*$
    | am\s[^\n]{0,200}\sschrieb[^\n]{0,120}:\s*$
    | le\s[^\n]{0,200}\sa\sécrit\s?:\s*$
    | el\s[^\n]{0,200}\sescribió\s?:\s*$
    | il\s[^\n]{0,200}\sha\sscritto\s?:\s*$
    | op\s[^\n]{0,200}\sschreef[^\n]{0,120}:\s*$
    | [^\n]{1,120}\s(?:wrote|schrieb|a\sécrit|escribió|ha\sscritto)\s?:\s*$
    )"""
)
_SEPARATOR = guarded(
    r"""(?ix)^\s*(?:
      -{2,}\s*(?:original\smessage|ursprüngliche\snachricht|message\sd'origine|mensaje\soriginal
        |messaggio\soriginale|oorspronkelijk\sbericht|forwarded\smessage|weitergeleitete\snachricht
        |message\stransféré|mensaje\sreenviado|messaggio\sinoltrato)\s*-{0,}
    | begin\sforwarded\smessage\s?:
    | anfang\sder\sweitergeleiteten\snachricht\s?:
    | début\sdu\smessage\sréexpédié\s?:
    | _{20,}\s*$
    )"""
)
# The first line of an Outlook-style header block, and the lines that confirm it.
_BLOCK_FROM = guarded(r"(?i)^\s*\*?(?:from|von|de|da|van)\s?\*?\s?:")
_BLOCK_NEXT = guarded(
    r"(?i)^\s*\*?(?:sent|date|to|subject|cc|gesendet|datum|an|betreff|envoyé|à|objet|"
    r"enviado|fecha|para|asunto|inviato|data|a|oggetto|verzonden|aan|onderwerp)\s?\*?\s?:"
)


def normalise(text: str, *, limit: int = MAX_SCAN) -> str:
    """NFKC, invisible characters removed, line ends unified, capped at ``limit``.

    The cap is applied before NFKC too (with head room: NFKC can only grow text a few
    times over), so a hostile 2 MB body costs the same as a 200 KB one."""
    if len(text) > limit * 2:
        text = text[: limit * 2]
    text = unicodedata.normalize("NFKC", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    return text[:limit]


def own_text(text: str, *, limit: int = MAX_SCAN) -> str:
    """The sender's own words: normalised, quoted lines dropped, history cut off."""
    lines = normalise(text, limit=limit).split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">") or line.lstrip().startswith("|>"):
            continue
        if _is_history_start(lines, index):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _is_history_start(lines: list[str], index: int) -> bool:
    line = lines[index]
    if len(line) > 400:
        return False
    # Every attribution and header line ends in, and every separator but a rule of
    # dashes or underscores holds, a ":" (no case folds to it): a line without one is
    # never read by those patterns (most lines of a mail).
    colon = ":" in line
    if (colon or "--" in line or "_" * 20 in line) and _SEPARATOR.match(line):
        return True
    if colon and _ATTRIBUTION.match(line):
        return True
    # "On Tue, 3 Mar 2027 at 10:00, Bob <bob@x.com>" / "wrote:" wrapped by the client.
    if index + 1 < len(lines) and line.strip() and len(lines[index + 1]) < 120:
        next_line = lines[index + 1]
        if colon or ":" in next_line:
            joined = line.rstrip() + " " + next_line.strip()
            if _ATTRIBUTION.match(joined) and re.match(r"(?i)\s*(?:on|am|le|el|il|op)\s", line):
                return True
    if colon and _BLOCK_FROM.match(line):
        following = [ln for ln in lines[index + 1 : index + 6] if ln.strip()]
        return sum(1 for ln in following[:4] if _BLOCK_NEXT.match(ln)) >= 2
    return False


def sentences(text: str) -> list[str]:
    """Rough sentence split (., !, ?, ;, line ends), each kept with its end mark, so that
    a refusal in one sentence does not taint the offer in the next."""
    out: list[str] = []
    for line in text.split("\n"):
        start = 0
        for match in _SENTENCE_END.finditer(line):
            piece = line[start : match.end()].strip()
            if piece:
                out.append(piece)
            start = match.end()
        rest = line[start:].strip()
        if rest:
            out.append(rest)
    return out


# A dot ends a sentence only before a space and not between digits ("1.840,00", "z.B.").
_SENTENCE_END = guarded(r"[!?;]+|(?<![0-9A-Za-z]\.[A-Za-z])(?<=[A-Za-z0-9)\]\"'])\.(?=\s|$)|\s[-–—]\s")


# Secondary readers (payment details, references, answers) read this much of the own
# text: facts a person writes sit in the first screens of a mail, and these scans are
# the costly ones.
MAX_DETAILS = 50_000


def lowered(text: str) -> str:
    """``text`` in lower case with every character kept in place, so spans found in it
    hold in the original. Matching lower-cased text with case-sensitive patterns is
    several times faster in ``re`` than IGNORECASE (the first-character prefilter works)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)  # "İ" -> "i̇" would shift spans
