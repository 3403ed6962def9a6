"""The facts of one message: what it says, typed, so that rules, the gate, tasks,
negotiation, the digest and the model prompt decide on what the message says rather
than on a rule's shape.

Facts are read deterministically from the message's own text (never from the quoted
history under it) by ``bot.facts.extract``; a model may propose more, and a proposal is
kept only where the message's own text supports it (``bot.facts.extract.accept``). A few
facts need what Deputy already knows (payment details on file, whether Deputy wrote in
the thread): ``bot.facts.extract.in_context`` adds those from the store's reading.

Everything here is plain data with a JSON form, so it is stored with the event's audit
entry and shown by ``deputy try`` and ``deputy log``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

# What an amount is, read from the words around it.
AmountRole = Literal["total", "due", "subtotal", "tax", "line", "deposit", "price", "other"]
# Where the text it was read from came from.
Source = Literal["body", "subject", "attachment"]
# What a reply in a conversation does with what was said before.
AnswerKind = Literal["accepts", "declines", "counter", "asks", "other", ""]
# Machine-written mail (RFC 3834 auto-replies, out-of-office, delivery reports).
AutoKind = Literal["out_of_office", "auto_reply", "bounce", ""]


@dataclass(frozen=True, slots=True)
class Amount:
    """One amount of money as written: ``value`` in the unit of ``currency`` (an ISO 4217
    code, or a crypto unit such as ``BTC``; ``""`` when no currency is written)."""

    value: Decimal
    currency: str
    role: AmountRole = "other"
    source: Source = "body"
    text: str = ""  # the words it was read from, as written


@dataclass(frozen=True, slots=True)
class Payment:
    """Payment details a message gives, and whether they differ from what is on file."""

    ibans: tuple[str, ...] = ()  # normalised (no spaces, upper case), checksum valid
    accounts: tuple[str, ...] = ()  # other account numbers (account/sort code, routing)
    payee: str = ""
    announces_change: bool = False  # the text says the details changed ("new bank details")
    # Compared with the details Deputy has on file for this sender: True, False, or None
    # when nothing is on file (a first invoice) or no details were given.
    changed: bool | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """The price a counterpart offers now, read from their own words (never the quote).

    A range gives ``low`` and ``high``; a single price gives ``value`` (== low == high).
    ``refused`` holds prices the text turns down ("we can't do 250")."""

    value: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    currency: str = ""
    vat: Literal["incl", "excl", ""] = ""
    refused: tuple[Decimal, ...] = ()
    text: str = ""

    @property
    def ambiguous(self) -> bool:
        """A range, or no single price: a task or a mandate must not take it as a quote."""
        spread = self.low is not None and self.high is not None and self.low != self.high
        return self.value is None or spread


@dataclass(frozen=True, slots=True)
class Invite:
    """A calendar invitation (text/calendar, RFC 5545 / iTIP RFC 5546)."""

    method: str = ""  # REQUEST, CANCEL, REPLY ...
    summary: str = ""
    start: str = ""  # ISO 8601 as written in the invite
    organizer: str = ""


@dataclass(frozen=True, slots=True)
class Facts:
    amounts: tuple[Amount, ...] = ()
    payment: Payment = field(default_factory=Payment)
    due_date: date | None = None
    references: tuple[str, ...] = ()  # invoice, order and customer numbers as written
    offer: Offer | None = None
    answer: AnswerKind = ""  # in a conversation: what this message does with the last one
    auto: AutoKind = ""
    invite: Invite | None = None
    language: str = ""  # ISO 639-1 guess ("en", "de", "fr", ...), "" when unsure
    # From the store (in_context): Deputy wrote in this thread before; the sender wrote
    # to Deputy before.
    in_our_thread: bool = False
    first_contact: bool = False

    @property
    def amount_due(self) -> Amount | None:
        """The amount an invoice asks to be paid: the due amount, else the total, else
        the only amount. None when there are several and none is marked, unless they are
        one amount written in several places: "Amount paid: 19.00 EUR" in the mail and
        again in its PDF is one amount, not two to choose between (two equal lines of
        one text may be two items, so the places must differ)."""
        for role in ("due", "total"):
            marked = [a for a in self.amounts if a.role == role]
            if marked:
                return max(marked, key=lambda a: a.value)
        if len(self.amounts) == 1:
            return self.amounts[0]
        same = {(a.value, a.currency) for a in self.amounts}
        places = {a.source for a in self.amounts}
        if len(same) == 1 and len(places) == len(self.amounts):
            return self.amounts[0]
        return None

    def currencies(self) -> frozenset[str]:
        return frozenset(a.currency for a in self.amounts if a.currency)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: Decimals as strings, dates as ISO, empty fields left out.

        ``payment.changed`` is the one False that is kept: "as on file" (False) and
        "nothing on file" (None) are different facts, and ``deputy log`` reads them back."""
        data: dict[str, Any] = _pruned(self)
        if self.payment.changed is False:
            data.setdefault("payment", {})["changed"] = False
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Facts:
        def dec(v: Any) -> Decimal | None:
            return None if v is None else Decimal(str(v))

        offer = data.get("offer")
        pay = data.get("payment", {})
        invite = data.get("invite")
        return cls(
            amounts=tuple(
                Amount(
                    value=Decimal(str(a["value"])),
                    currency=a.get("currency", ""),
                    role=a.get("role", "other"),
                    source=a.get("source", "body"),
                    text=a.get("text", ""),
                )
                for a in data.get("amounts", ())
            ),
            payment=Payment(
                ibans=tuple(pay.get("ibans", ())),
                accounts=tuple(pay.get("accounts", ())),
                payee=pay.get("payee", ""),
                announces_change=bool(pay.get("announces_change", False)),
                changed=pay.get("changed"),
            ),
            due_date=date.fromisoformat(data["due_date"]) if data.get("due_date") else None,
            references=tuple(data.get("references", ())),
            offer=Offer(
                value=dec(offer.get("value")),
                low=dec(offer.get("low")),
                high=dec(offer.get("high")),
                currency=offer.get("currency", ""),
                vat=offer.get("vat", ""),
                refused=tuple(Decimal(str(r)) for r in offer.get("refused", ())),
                text=offer.get("text", ""),
            )
            if offer
            else None,
            answer=data.get("answer", ""),
            auto=data.get("auto", ""),
            invite=Invite(**invite) if invite else None,
            language=data.get("language", ""),
            in_our_thread=bool(data.get("in_our_thread", False)),
            first_contact=bool(data.get("first_contact", False)),
        )

    def summary(self) -> str:
        """One line for ``deputy log``, ``deputy try`` and the owner's question."""
        parts: list[str] = []
        due = self.amount_due
        if due is not None:
            parts.append(f"amount {due.value} {due.currency or '(no currency)'}".rstrip())
        elif self.amounts:
            parts.append("amounts " + ", ".join(f"{a.value} {a.currency}".strip() for a in self.amounts[:4]))
        if self.payment.ibans or self.payment.accounts:
            state = {True: "CHANGED", False: "as on file", None: "none on file"}[self.payment.changed]
            parts.append(f"payment details ({state})")
        if self.payment.announces_change:
            parts.append("announces new payment details")
        if self.due_date:
            parts.append(f"due {self.due_date.isoformat()}")
        if self.references:
            parts.append("ref " + ", ".join(self.references[:3]))
        if self.offer is not None:
            if self.offer.value is not None:
                parts.append(f"offers {self.offer.value} {self.offer.currency}".rstrip())
            elif self.offer.low is not None:
                parts.append(f"offers {self.offer.low}-{self.offer.high} {self.offer.currency}".rstrip())
            if self.offer.refused:
                parts.append("refuses " + ", ".join(str(r) for r in self.offer.refused))
        if self.answer and self.answer != "other":
            parts.append(self.answer)
        if self.auto:
            parts.append(self.auto.replace("_", "-"))
        if self.invite is not None:
            parts.append(f"invite {self.invite.method} {self.invite.start}".rstrip())
        if self.first_contact:
            parts.append("first contact")
        if self.in_our_thread:
            parts.append("in our thread")
        return "; ".join(parts)


_EMPTY: tuple[object, ...] = ("", None, (), [], {}, False)


def _pruned(value: Any) -> Any:
    """JSON-ready and pruned in one walk (no ``asdict`` deep copies, no intermediate
    dicts): storing a message's facts is on every judged event's path."""
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None and not isinstance(value, type):
        out: dict[str, Any] = {}
        for name in fields:
            item = _pruned(getattr(value, name))
            if item not in _EMPTY:
                out[name] = item
        return out
    if isinstance(value, dict):
        return {k: v for k, v in ((k, _pruned(v)) for k, v in value.items()) if v not in _EMPTY}
    if isinstance(value, list | tuple):
        return [_pruned(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


NO_FACTS = Facts()
