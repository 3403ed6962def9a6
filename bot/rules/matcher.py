"""Deterministic rule selection: the first enabled rule whose conditions all hold.

Cheap and exact, so it runs before any model is consulted; no match means the event is
escalated (Sieve's "implicit keep", RFC 5228 2.10.2: never guess).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from functools import lru_cache

from bot.events import Event
from bot.rules.model import Rule, Rulebook
from bot.rules.pattern import OwnerPattern, owner_pattern


@dataclass(frozen=True, slots=True)
class _Search:
    """An owner's pattern bound to the rule it came from, for the log line on a timeout."""

    pattern: OwnerPattern
    source: str

    def search(self, haystack: str) -> bool:
        return self.pattern.search(haystack, source=self.source)


def _regex(pattern: str, rule: Rule | None = None) -> _Search:
    """Owner-written patterns run on a linear-time engine or under a time limit
    (``bot.rules.pattern``): a backtracking pattern must not stall the daemon."""
    return _Search(owner_pattern(pattern), str(rule.path) if rule is not None else "")


@lru_cache(maxsize=1024)
def _keyword(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


def _glob_any(globs: list[str], values: tuple[str, ...] | list[str]) -> bool:
    return any(fnmatchcase(v.lower(), g.lower()) for g in globs for v in values)


def matches(rule: Rule, event: Event, *, today: date | None = None) -> bool:
    when = rule.header.when
    if rule.header.expires and today is not None and today.isoformat() > rule.header.expires:
        return False
    if when.channel and event.channel not in when.channel and _channel_type(event) not in when.channel:
        return False
    if when.from_ and not _glob_any(when.from_, [event.sender]):
        return False
    if when.to and not _glob_any(when.to, event.recipients):
        return False
    if when.subject is not None and not _regex(when.subject, rule).search(event.subject):
        return False
    if when.body is not None and not _regex(when.body, rule).search(event.text):
        return False
    if when.keywords:
        haystack = f"{event.subject}\n{event.text}"
        if not any(_keyword(k).search(haystack) for k in when.keywords):
            return False
    return when.has_attachment is None or when.has_attachment == bool(event.attachments)


def _channel_type(event: Event) -> str:
    return event.refs.get("channel_type", event.channel)


def select(rulebook: Rulebook, event: Event, *, today: date | None = None) -> list[Rule]:
    """All matching rules in evaluation order; the first one governs the event."""
    return [r for r in rulebook.rules if matches(r, event, today=today)]
