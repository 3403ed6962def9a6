"""The owner's reply templates: which placeholders exist, what a broken one looks like,
how a template is filled, and whether it already went out in a thread.

A template is ``string.Template`` text, written once by the owner and sent many times
without anyone reading it again. So every mistake must surface at ``deputy check``, not
in a client's inbox: an unknown name (``$firstname``) or a malformed ``$`` would
otherwise be sent literally. Filling is one pass over the template, so a value taken
from inbound mail can fill a placeholder but never add one.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from string import Template

# The names a template may use, with what each one holds (shown in errors and the README).
PLACEHOLDERS: dict[str, str] = {
    "first_name": "the sender's first name, from the display name; empty for a functional mailbox",
    "name": "the first name, else '<Organisation> team' for a functional mailbox, else empty",
    "sender_name": "the sender's display name as written (empty when there is none)",
    "sender": "the sender's address",
    "subject": "the subject of the message being answered",
    "owner_name": "your name, from owner.md",
    "signature": "your signature, from owner.md",
    "free_slots": "free times from the rule's calendar, a numbered line each",
}

_PATTERN = Template.pattern
# A placeholder that came out empty takes the blank before it along, and a blank
# between it and punctuation: "Hello $first_name," -> "Hello,".
_PUNCT = ",;:!?."
# Fewer letters of the owner's own than this, and a template is compared whole.
_DISTINCTIVE = 20


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a template: ``token`` is the text as written (to find its line)."""

    token: str
    message: str


def problems(template: str) -> list[Problem]:
    """Every unknown placeholder and malformed ``$`` in ``template``; ``$$`` is a ``$``."""
    found: list[Problem] = []
    known = ", ".join(f"${n}" for n in PLACEHOLDERS)
    for match in _PATTERN.finditer(template):
        name = match["named"] or match["braced"]
        if match["escaped"] is not None:
            continue
        if name is not None:
            if name not in PLACEHOLDERS:
                close = difflib.get_close_matches(name, list(PLACEHOLDERS), n=1, cutoff=0.6)
                hint = f"; did you mean ${close[0]}?" if close else ""
                found.append(Problem(match[0], f"unknown placeholder {match[0]} (known: {known}){hint}"))
            continue
        snippet = template[match.start() : match.start() + 12].split("\n")[0]
        found.append(
            Problem(
                snippet,
                f"malformed placeholder at {snippet!r}: write $name or ${{name}}, and $$ for a literal $",
            )
        )
    return found


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill ``template`` in one pass. An empty value removes its placeholder cleanly: the
    blank before it goes, and so does a comma after it at the start of a line, so a
    greeting without a name reads "Hello," and never "Hello ,"."""
    out: list[str] = []
    pos = 0
    capitalize = False
    for match in _PATTERN.finditer(template):
        literal = template[pos : match.start()]
        pos = match.end()
        if capitalize:
            literal, capitalize = _capitalized(literal), False
        out.append(literal)
        if match["escaped"] is not None:
            out.append("$")
            continue
        name = match["named"] or match["braced"]
        if name is None or name not in values:
            out.append(match[0])  # malformed or unknown: as written (check rejects these)
            continue
        value = values[name]
        if value:
            out.append(value)
            continue
        text = "".join(out)
        trimmed = text.rstrip(" \t")
        rest = template[pos:]
        stripped = rest.lstrip(" \t")
        if not trimmed or trimmed.endswith("\n"):
            # At the start of a line: "$first_name, thanks" -> "Thanks".
            if stripped[:1] in (",", ";"):
                pos += len(rest) - len(stripped) + 1
                pos += len(template[pos:]) - len(template[pos:].lstrip(" \t"))
                capitalize = True
            out = [trimmed]
        elif stripped[:1] and stripped[:1] in _PUNCT:
            # "Thanks, $first_name!" -> "Thanks!": the comma was for the name.
            out = [trimmed[:-1] if trimmed[-1] in ",;" else trimmed]
            pos += len(rest) - len(stripped)
        else:
            out = [trimmed]
            if stripped[:1] not in ("", "\n"):
                pos += len(rest) - len(stripped)
                out.append(" ")
    tail = template[pos:]
    out.append(_capitalized(tail) if capitalize else tail)
    return "".join(out)


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def literal_parts(template: str) -> list[str]:
    """The words the owner wrote (between placeholders), in order and with blanks
    collapsed: what every text rendered from ``template`` contains, whoever it is for."""
    return list(_literal_parts(template))


@functools.lru_cache(maxsize=256)
def _literal_parts(template: str) -> tuple[str, ...]:
    """Cached: a rule's template is the same text for every message it answers."""
    parts: list[str] = []
    pos = 0
    for match in _PATTERN.finditer(template):
        parts.append(template[pos : match.start()])
        parts.append("$" if match["escaped"] is not None else "\0")
        pos = match.end()
    parts.append(template[pos:])
    joined = "".join(parts)
    out = []
    for chunk in joined.split("\0"):
        words = _squash(chunk).strip(_PUNCT + " ")
        if sum(ch.isalpha() for ch in words) >= 3:
            out.append(words)
    return tuple(out)


def already_sent(template: str, sent: Iterable[str], *, rendered: str = "") -> bool:
    """Whether a text made from ``template`` is among ``sent`` (what Deputy wrote in the
    thread). Compared on the owner's own words, ignoring case and blanks, so another first
    name or subject does not make it a different message. A template with too few words
    of its own to tell it apart ("Thanks!") is compared as ``rendered``, whole."""
    parts = [p.casefold() for p in literal_parts(template)]
    distinctive = sum(len(p) for p in parts) >= _DISTINCTIVE
    whole = _squash(rendered).casefold()
    for text in sent:
        flat = _squash(text).casefold()
        if distinctive and _in_order(parts, flat):
            return True
        if not distinctive and whole and whole in flat:
            return True
    return False


def _in_order(parts: list[str], text: str) -> bool:
    at = 0
    for part in parts:
        found = text.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return True


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
