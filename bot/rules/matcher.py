"""Deterministic rule selection: the first enabled rule whose conditions all hold.

Cheap and exact, so it runs before any model is consulted; no match means the event is
escalated (Sieve's "implicit keep", RFC 5228 2.10.2: never guess). Conditions read the
message (sender, recipients, subject, body, headers) and its facts (``bot.facts``: the
amount asked for, payment details, first contact, our thread, auto-replies).

``must_ask`` is the other half: a rule that matches may still say "ask me when ..."
(``ask_when``), and a rule with an amount limit bounds the amount the message asks for,
not only what Deputy writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fnmatch import fnmatchcase
from functools import lru_cache

from bot.alternation import alternation
from bot.events import Event
from bot.facts import NO_FACTS, Facts
from bot.first_char import guarded
from bot.payload import field, is_missing
from bot.rules.model import AmountCondition, Rule, Rulebook, When
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
def _keywords(words: tuple[str, ...]) -> re.Pattern[str]:
    """Any of ``words`` as a whole word, in one scan of the text instead of one per word:
    at each position the alternatives are tried in turn, so it matches exactly where one
    of the single-word patterns would."""
    return guarded(rf"(?<!\w)(?:{alternation(words, ignore_case=True)})(?!\w)", re.IGNORECASE)


def _glob_any(globs: list[str], values: tuple[str, ...] | list[str]) -> bool:
    return any(fnmatchcase(v.lower(), g.lower()) for g in globs for v in values)


def matches(rule: Rule, event: Event, *, today: date | None = None, facts: Facts = NO_FACTS) -> bool:
    if rule.header.expires and today is not None and today.isoformat() > rule.header.expires:
        return False
    if (event.kind == "tool_result") != bool(rule.header.when.tool):
        return False
    if _channel_type(event) == "webhook" and not {event.channel, "webhook"} & set(rule.header.when.channel):
        # A machine's JSON is no mail: a rule written for mail ("invoice" in the subject)
        # must not answer a payment provider's "invoice.paid". Only rules that name it.
        return False
    return holds(rule.header.when, event, facts, rule)


def holds(when: When, event: Event, facts: Facts, rule: Rule | None = None) -> bool:
    """All of ``when``'s conditions hold for this message (an empty ``when`` holds)."""
    if when.channel and event.channel not in when.channel and _channel_type(event) not in when.channel:
        return False
    if when.tool and not _glob_any(when.tool, [event.refs.get("tool", "")]):
        return False
    if when.from_ and not _glob_any(when.from_, [event.sender]):
        return False
    if when.to and not _glob_any(when.to, event.recipients):
        return False
    # What is already known (attachments, facts) before any scan of the text: every
    # condition is a pure test, so the order changes only how soon a miss is known.
    if when.has_attachment is not None and when.has_attachment != bool(event.attachments):
        return False
    if when.amount is not None and amount_problem(when.amount, facts) is not None:
        return False
    if when.payment_changed is not None and when.payment_changed != payment_changed(facts):
        return False
    if when.first_contact is not None and when.first_contact != facts.first_contact:
        return False
    if when.in_our_thread is not None and when.in_our_thread != facts.in_our_thread:
        return False
    if when.auto_reply is not None and when.auto_reply != bool(facts.auto):
        return False
    if when.invite is not None and when.invite != _invited(facts):
        return False
    if when.subject is not None and not _regex(when.subject, rule).search(event.subject):
        return False
    if when.body is not None and not _regex(when.body, rule).search(event.text):
        return False
    if when.keywords:
        haystack = f"{event.subject}\n{event.text}"
        if _keywords(tuple(when.keywords)).search(haystack) is None:
            return False
    for name, pattern in when.header.items():
        value = event.headers.get(name)
        if value is None or (pattern and not _regex(pattern, rule).search(value)):
            return False
    if when.field and not all(_field_equals(event, path, want) for path, want in when.field.items()):
        return False
    if when.any and not any(holds(w, event, facts, rule) for w in when.any):
        return False
    return not any(holds(w, event, facts, rule) for w in when.none)


def _field_equals(event: Event, path: str, want: str | int | float | bool) -> bool:
    """Equal in JSON terms: ``true`` is not ``1`` and ``"5"`` is not ``5``."""
    value = field(event, path)
    if is_missing(value) or isinstance(value, bool) != isinstance(want, bool):
        return False
    return bool(value == want)


def _invited(facts: Facts) -> bool:
    """An invitation to answer: iTIP REQUEST (RFC 5546 3.2.2), not a REPLY or CANCEL."""
    return facts.invite is not None and facts.invite.method in ("REQUEST", "")


def payment_changed(facts: Facts) -> bool:
    """The message gives payment details that differ from those on file, or says its
    details changed: either way, the one case a deputy must never pay on its own."""
    return facts.payment.announces_change or facts.payment.changed is True


def amount_problem(bound: AmountCondition, facts: Facts) -> str | None:
    """Why the amount the message asks for is outside ``bound`` (None: inside).

    No readable amount, several amounts and none marked as due, or another currency,
    are all outside: a bound that cannot be checked does not hold."""
    due = facts.amount_due
    if due is None:
        if facts.amounts:
            return "several amounts and none marked as the total"
        return "no amount I can read"
    if due.currency and due.currency.upper() != bound.currency.upper():
        return f"the amount is in {due.currency}, not {bound.currency.upper()}"
    if not due.currency:
        return f"the amount {due.value} names no currency"
    if bound.max is not None and due.value > Decimal(str(bound.max)):
        return f"{due.value} {due.currency} is above {bound.max:g} {bound.currency.upper()}"
    if bound.min is not None and due.value < Decimal(str(bound.min)):
        return f"{due.value} {due.currency} is below {bound.min:g} {bound.currency.upper()}"
    return None


def must_ask(rule: Rule, event: Event, facts: Facts) -> str | None:
    """Why this matching rule's actions must be put to the owner instead (None: go on).

    - ``ask_when``: the owner's own "but ask me when ...";
    - ``limits.amount`` bounds the amount asked for, when the message asks for money
      (an invoice, a quote): larger, another currency, or none readable means ask;
    - payment details that changed always ask when the rule handles money."""
    for n, when in enumerate(rule.header.ask_when):
        if holds(when, event, facts, rule):
            return f"the rule says to ask when {describe(when) or f'condition {n + 1} holds'}"
    limit = rule.header.limits.amount
    if limit is not None:
        if payment_changed(facts):
            return "the payment details are new or changed"
        if facts.amounts or _asks_for_money(rule, event):
            bound = AmountCondition(max=limit.max, currency=limit.currency)
            problem = amount_problem(bound, facts)
            if problem is not None:
                return f"limits.amount: {problem}"
    return None


def _asks_for_money(rule: Rule, event: Event) -> bool:
    """A rule with an amount limit that matched a message with no readable amount: the
    limit was written for money, so "no amount" is a question, not a pass. Only when the
    message looks like it asks for money (an invoice or a quote), so that an ordinary
    note covered by the same rule is not turned into a question."""
    haystack = f"{event.subject}\n{event.text[:4000]}"
    return bool(_MONEY_WORDS.search(haystack)) or any(
        a.content_type == "application/pdf" for a in event.attachments
    )


_MONEY_WORDS = guarded(
    r"(?i)\b(invoice|bill|payment|amount|due|total|quote|price|rechnung|zahlung|betrag|"
    r"f[a\u00e4]llig|facture|paiement|montant|factura|pago|importe|fattura|pagamento|importo)"
)


def describe(when: When) -> str:
    """A condition in words, for the owner's question and ``deputy check``."""
    parts: list[str] = []
    if when.amount is not None:
        lo = f"from {when.amount.min:g} " if when.amount.min is not None else ""
        hi = f"up to {when.amount.max:g} " if when.amount.max is not None else ""
        parts.append(f"the amount is {lo}{hi}{when.amount.currency.upper()}".replace("  ", " "))
    flags = (
        (when.payment_changed, "the payment details changed", "the payment details are as on file"),
        (when.first_contact, "the sender writes for the first time", "the sender wrote before"),
        (when.in_our_thread, "it answers a thread I wrote in", "it is not in a thread I wrote in"),
        (when.auto_reply, "it is an auto-reply", "it is not an auto-reply"),
        (when.invite, "it is a calendar invitation", "it is not a calendar invitation"),
    )
    parts += [yes if flag else no for flag, yes, no in flags if flag is not None]
    if when.from_:
        parts.append("the sender is " + " or ".join(when.from_))
    if when.subject is not None:
        parts.append(f"the subject matches {when.subject!r}")
    if when.body is not None:
        parts.append(f"the text matches {when.body!r}")
    if when.keywords:
        parts.append("it mentions " + " or ".join(when.keywords))
    for path, want in when.field.items():
        parts.append(f"field {path} is {want!r}")
    for name, pattern in when.header.items():
        parts.append(f"header {name} matches {pattern!r}" if pattern else f"it has a {name} header")
    if when.any:
        parts.append("(" + " or ".join(describe(w) for w in when.any) + ")")
    if when.none:
        parts.append("not (" + " or ".join(describe(w) for w in when.none) + ")")
    return " and ".join(p for p in parts if p)


def _channel_type(event: Event) -> str:
    return event.refs.get("channel_type", event.channel)


def select(
    rulebook: Rulebook, event: Event, *, today: date | None = None, facts: Facts = NO_FACTS
) -> list[Rule]:
    """All matching rules in evaluation order; the first one governs the event.

    Among rules of the same priority (and learned or not), one that holds only because
    a word of its ``keywords`` or ``body`` occurs in the body yields to one that holds on
    what the message is about: its subject, its sender, a header or a fact. "Price for a
    workshop ... happy to jump on a call" is a price question that mentions a call, not
    a meeting request; the stable sort keeps file-name order otherwise."""
    found = [r for r in rulebook.rules if matches(r, event, today=today, facts=facts)]
    return sorted(found, key=lambda r: (-r.header.priority, not r.learned, in_passing(r, event)))


def in_passing(rule: Rule, event: Event) -> bool:
    """The rule matched only on a word in the body, with nothing about the message
    itself (subject, sender, headers, facts) behind it."""
    when = rule.header.when
    specific = (
        when.subject is not None
        or when.from_
        or when.header
        or when.amount is not None
        or when.payment_changed is not None
        or when.in_our_thread is not None
        or when.auto_reply is not None
    )
    if specific or not (when.keywords or when.body is not None):
        return False
    return _keywords(tuple(when.keywords)).search(event.subject) is None
