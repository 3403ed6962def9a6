"""The facts of one Event: every reader of this package run over the message's own text
(subject, body without its quoted history, the text of its PDF and calendar parts).

Three entry points:

* ``extract(event)`` reads what the message itself says, deterministically;
* ``in_context(facts, ...)`` adds what only the store knows (did Deputy write in this
  thread, has this sender written before, which payment details are on file);
* ``accept(proposed, event)`` keeps from a model's proposal only what the message's own
  text supports, so a prompt-injected "the amount is 5 EUR" or "the IBAN is unchanged"
  cannot become a fact.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from bot.events import Event
from bot.facts.answers import answer_in
from bot.facts.auto import auto_kind
from bot.facts.dates import all_dates, due_date
from bot.facts.invite import invite_in
from bot.facts.language import STOP_WORDS, language_of
from bot.facts.model import Amount, Facts, Invite, Offer, Payment
from bot.facts.money import MAX_AMOUNTS, amounts_in
from bot.facts.numbers import numbers
from bot.facts.offer import offer_in
from bot.facts.payment import ibans, normalise_detail, payment_in
from bot.facts.references import references
from bot.facts.text import normalise, own_text
from bot.first_char import guarded

# The text of one document part read for facts (the connector bounds it too).
MAX_ATTACHMENT_TEXT = 20_000
_DOCUMENT_TYPES = ("application/pdf", "text/plain")
# An invoice or a reminder asks for money; it offers no price to negotiate.
_INVOICE = guarded(
    r"(?i)(?<![A-Za-zÀ-ÿ])(?:invoice|bill(?![A-Za-zÀ-ÿ])|rechnung|facture|factura|fattura|mahnung|zahlungserinnerung|"
    r"payment\sreminder|relance|receipt|quittung|reçu|recibo|ricevuta|credit\snote|gutschrift)"
)


def extract(event: Event, *, today: date | None = None) -> Facts:
    """The facts of ``event`` read from its own words. ``today`` anchors "within 14
    days" (default: the day the event arrived, so a replay gives the same date)."""
    day = today or event.received_at.date()
    body = own_text(event.text)
    subject = normalise(event.subject, limit=1000)
    documents = [
        normalise(a.text, limit=MAX_ATTACHMENT_TEXT)
        for a in event.attachments
        if a.text and a.content_type in _DOCUMENT_TYPES
    ]
    language = language_of(body) or language_of(subject + "\n" + "\n".join(documents)[:5000])

    amounts = amounts_in(subject, source="subject", language=language)
    amounts += amounts_in(body, language=language)
    for doc in documents:
        amounts += amounts_in(doc, source="attachment", language=language)

    everything = "\n".join([subject, body, *documents])
    auto = auto_kind(
        subject=subject, text=body, headers=event.headers, refs=event.refs, sender=event.sender.lower()
    )
    bulk = bool(event.headers.get("list-id") or event.headers.get("list-unsubscribe"))
    due = due_date(body, today=day) or _first_due(documents, day)
    invoice = due is not None or _INVOICE.search(subject + "\n" + body[:3000]) is not None
    offer = None if auto or bulk or invoice else offer_in(body, language=language)
    return Facts(
        amounts=tuple(amounts[:MAX_AMOUNTS]),
        payment=payment_in(everything),
        due_date=due,
        references=tuple(dict.fromkeys(references(subject) + references(body) + _doc_refs(documents)))[:10],
        offer=offer,
        answer="" if auto or bulk else answer_in(body, offer),
        auto=auto,
        invite=_invite(event),
        language=language,
    )


def _first_due(documents: list[str], day: date) -> date | None:
    for doc in documents:
        found = due_date(doc, today=day)
        if found is not None:
            return found
    return None


def _doc_refs(documents: list[str]) -> list[str]:
    out: list[str] = []
    for doc in documents:
        out.extend(references(doc))
    return out


def _invite(event: Event) -> Invite | None:
    for attachment in event.attachments:
        if attachment.content_type == "text/calendar" and attachment.text:
            found = invite_in(attachment.text)
            if found is not None:
                return found
    if "BEGIN:VCALENDAR" in event.text[:200_000]:
        return invite_in(event.text[event.text.find("BEGIN:VCALENDAR") :])
    return None


def in_context(
    facts: Facts, *, wrote_in_thread: bool, sender_seen_before: bool, payees_on_file: tuple[str, ...]
) -> Facts:
    """``facts`` with what the store knows: Deputy wrote in this thread, the sender is
    new, and whether the payment details given differ from those on file for the
    sender (``payees_on_file``: IBANs or account numbers, any spacing). One detail not
    on file is a change: a second IBAN slipped in beside the known one is the fraud."""
    given = facts.payment.ibans + facts.payment.accounts
    changed: bool | None = None
    on_file = {normalise_detail(p) for p in payees_on_file if p.strip()}
    if given and on_file:
        changed = any(normalise_detail(d) not in on_file for d in given)
    return replace(
        facts,
        in_our_thread=wrote_in_thread,
        first_contact=not sender_seen_before,
        payment=replace(facts.payment, changed=changed),
    )


def accept(proposed: Facts, event: Event) -> Facts:
    """The part of a model's ``proposed`` facts the message's own text supports.

    Values are checked against what the deterministic readers find in the own text
    (subject, body without quotes, document parts): an amount whose value is not
    written there, an IBAN not in it, a reference or payee not in it, a date not
    written (nor computed from "within N days") are dropped. Judgments with no value
    are taken only where the text cannot contradict them: a proposed "announces new
    payment details" is kept (it can only make Deputy more careful); a proposed answer
    kind only where the readers found none; ``changed``, ``auto``, the invite and the
    store's facts are never taken from a model."""
    base = extract(event)
    body = own_text(event.text)
    docs = [normalise(a.text, limit=MAX_ATTACHMENT_TEXT) for a in event.attachments if a.text]
    text = "\n".join([normalise(event.subject, limit=1000), body, *docs])
    folded = text.casefold()
    written = _written_values(text)
    amounts = tuple(a for a in proposed.amounts if _amount_written(a, base.amounts, written))
    payee = proposed.payment.payee
    payment = Payment(
        ibans=tuple(i for i in proposed.payment.ibans if normalise_detail(i) in set(ibans(text))),
        accounts=tuple(a for a in proposed.payment.accounts if _digits(a) and _digits(a) in _digits(text)),
        payee=payee if payee and payee.casefold() in folded else "",
        announces_change=proposed.payment.announces_change or base.payment.announces_change,
    )
    day = event.received_at.date()
    due = proposed.due_date
    if due is not None and due not in all_dates(text, today=day) and due != base.due_date:
        due = None
    refs = tuple(r for r in proposed.references if r and r.casefold() in folded)
    offer = _accept_offer(proposed.offer, written)
    answer = proposed.answer if base.answer in ("", "other") and not base.auto else base.answer
    language = proposed.language if proposed.language in STOP_WORDS else base.language
    return Facts(
        amounts=amounts,
        payment=payment,
        due_date=due,
        references=refs,
        offer=offer,
        answer=answer,
        auto=base.auto,
        invite=base.invite,
        language=language,
    )


def merge(first: Facts, second: Facts) -> Facts:
    """``first`` with the gaps filled from ``second`` (the readers' facts first, then
    an accepted proposal): amounts, references and details are united, a missing due
    date, offer, answer or language is taken from ``second``."""
    pay_a, pay_b = first.payment, second.payment
    return replace(
        first,
        amounts=first.amounts + tuple(a for a in second.amounts if a not in first.amounts),
        payment=replace(
            pay_a,
            ibans=tuple(dict.fromkeys(pay_a.ibans + pay_b.ibans)),
            accounts=tuple(dict.fromkeys(pay_a.accounts + pay_b.accounts)),
            payee=pay_a.payee or pay_b.payee,
            announces_change=pay_a.announces_change or pay_b.announces_change,
        ),
        due_date=first.due_date or second.due_date,
        references=tuple(dict.fromkeys(first.references + second.references)),
        offer=first.offer or second.offer,
        answer=first.answer if first.answer not in ("", "other") else (second.answer or first.answer),
        language=first.language or second.language,
    )


def _written_values(text: str) -> frozenset[Decimal]:
    """Every number written in the text (any local format), and every amount read
    with its magnitude or from words."""
    values = {n.value for n in numbers(text)}
    values.update(a.value for a in amounts_in(text))
    return frozenset(values)


def _amount_written(amount: Amount, found: tuple[Amount, ...], written: frozenset[Decimal]) -> bool:
    for known in found:
        if known.value == amount.value and (not amount.currency or known.currency in ("", amount.currency)):
            return True
    return amount.value in written and not amount.currency


def _accept_offer(offer: Offer | None, written: frozenset[Decimal]) -> Offer | None:
    if offer is None:
        return None
    for value in (offer.value, offer.low, offer.high):
        if value is not None and value not in written:
            return None
    return replace(offer, refused=tuple(r for r in offer.refused if r in written))


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())
