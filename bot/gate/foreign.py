"""What must not leave in this thread: distinctive text of other recent conversations.

The model sees this conversation only, but the gate does not trust that: the reference
numbers and distinctive lines of the last conversations Deputy handled become the gate's
``foreign_snippets``, so a reply that carries one of them into another thread is blocked,
whatever the model saw or was told. Cheap and bounded: the context step reads a fixed
number of recent messages (only when a model decides), and a snippet that this thread's
own text, the owner or the rule already contains is not foreign here.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.events import Event
from bot.first_char import guarded
from bot.gate.textscan import contains_snippet

MAX_SNIPPETS = 400
LINE_CHARS = 60  # a line this long is distinctive enough to be one conversation's
# A reference: letters and digits mixed, at least six characters ("CT-7781-ZETA", "INV88231").
_REF = guarded(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]{4,}[A-Za-z0-9](?![\w-])")


def snippets_of(event: Event) -> list[str]:
    """The distinctive parts of one message: its references, then its long lines."""
    found = [m[0] for m in _REF.finditer(f"{event.subject}\n{event.text}")]
    for line in event.text.splitlines():
        line = line.strip()
        if len(line) >= LINE_CHARS and not line.startswith(">"):
            found.append(line[:200])
    return found


def foreign_snippets(others: Iterable[Event], *, own: Iterable[str]) -> tuple[str, ...]:
    """Snippets of ``others`` that none of ``own`` (this thread's texts, the owner's
    note, the rule's text) contains."""
    mine = "\n".join(own)
    out: list[str] = []
    for event in others:
        for snippet in snippets_of(event):
            if snippet in out or contains_snippet(mine, snippet):
                continue
            out.append(snippet)
            if len(out) >= MAX_SNIPPETS:
                return tuple(out)
    return tuple(out)
