"""The price a counterpart offers now, read from their own words only.

A negotiation is decided on this: "We can't do 250 EUR, sorry - our best price is 320 EUR"
offers 320 and refuses 250; "between 300 and 350" is a range, not a quote; "cannot go
below 300" offers 300. The quoted history under a reply is never read here (the caller
passes the own text), so our own last price can never come back as theirs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from bot.facts.model import Amount, Offer
from bot.facts.money import amounts_in
from bot.facts.numbers import numbers
from bot.facts.text import lowered, sentences
from bot.first_char import guarded

# A sentence that turns a price down.
_REFUSAL = guarded(
    r"""(?x)(?<![a-zà-ÿ])(?:
      can'?t | cannot | can\snot | could\s?n[o']t | won'?t | will\snot | unable | not\spossible
    | no\sway | too\slow | too\smuch | not\sacceptable | unacceptable | impossible | refuse | not\sfeasible
    | unmöglich | nicht\smöglich | können\snicht | kann\snicht | nicht\smachbar | zu\sniedrig | leider\snicht
    | nicht\sakzeptabel | keinesfalls
    | ne\s(?:pouvons|peux|peut|pourrons)\spas | pas\spossible | trop\sbas | inacceptable
    | no\s(?:podemos|puedo|es\sposible) | imposible | demasiado\sbajo
    | non\s(?:possiamo|posso|è\spossibile) | impossibile | troppo\sbasso
    )(?![a-zà-ÿ])"""
)
# "below X" in a refusal sets a floor: X is what they will do, not what they refuse.
_FLOOR = guarded(
    r"(?i)(?:below|under|lower\sthan|less\sthan|unter|unterhalb\svon|weniger\sals|en\sdessous\sde|"
    r"moins\sde|au-dessous\sde|por\sdebajo\sde|menos\sde|sotto|meno\sdi)\s?(?:the\s|of\s)?$"
)
# Words that mark the price being offered.
_CUE = guarded(
    r"""(?x)(?<![a-zà-ÿ])(?:
      best\sprice | final\sprice | our\sprice | the\sprice | price | quote | offer | we\scan\sdo | can\sdo
    | could\sdo | we\scan\soffer | would\sbe | how\sabout | what\sabout | would\syou\saccept | propose
    | could\syou\sdo | would\syou\sdo | would\syou\stake
    | rate | fee | cost | costs | for
    | preis | angebot | anbieten | bieten | können\swir | machen\swir | kostet | kosten | für
    | prix | offre | proposons | proposer | pouvons\sfaire | tarif | devis | coût | pour
    | precio | oferta | podemos | ofrecemos | por | prezzo | offerta | possiamo | proponiamo | per
    )(?![a-zà-ÿ])"""
)
_RANGE = guarded(
    r"(?i)(?:between|zwischen|entre|tra|fra)\s(?P<a>[^\s]{1,20})(?:\s?[A-Za-z€$£]{1,4})?\s"
    r"(?:and|und|et|y|e)\s(?P<b>[^\s]{1,20})"
    r"|(?<![\w.,])(?P<c>\d[\d.,' ]{0,12}\d|\d)\s?(?:[€$£]|[A-Z]{3})?\s?(?:-|–|to|bis|à|a)\s?"
    r"(?P<d>[€$£]?\s?\d[\d.,']{0,12})"
)
_EXCL = guarded(
    r"(?i)(?<![A-Za-zÀ-ÿ])(?:plus\s(?:vat|tax|mwst|tva|iva)|\+\s?(?:vat|mwst|tva|iva)|excl\.?\s(?:vat|tax)|"
    r"excluding\s(?:vat|tax)|net\sof\s(?:vat|tax)|zzgl\.?|zuzüglich|exkl\.?|netto|ht|hors\staxes?|"
    r"iva\sexclu[ií]d[oa]|sin\siva|più\siva|iva\sesclusa|\+\s?iva)(?![A-Za-zÀ-ÿ])"
)
_INCL = guarded(
    r"(?i)(?<![A-Za-zÀ-ÿ])(?:incl\.?\s(?:vat|tax)|including\s(?:vat|tax)|inclusive\sof|vat\sincluded|"
    r"inkl\.?|inklusive|einschl\.?|brutto|ttc|toutes\staxes\scomprises|tva\scomprise|iva\sinclu[ií]da|"
    r"iva\sinclu[ií]d[oa]|iva\sinclus[oa]|con\siva|ivato)(?![A-Za-zÀ-ÿ])"
)
# "we could pay 480": admits a bare number as a price, but is no offer word between a
# refusal and its amount ("we can't pay 500" refuses 500).
_PAY = guarded(r"(?<![a-zà-ÿ])(?:pay|zahlen|payer|pagar|pagare)(?![a-zà-ÿ])")
_PREPOSITIONS = frozenset({"for", "für", "pour", "por", "per"})


def _strong_cue(text: str) -> bool:
    """An offer word other than a bare preposition ("we can't do it for 250")."""
    return any(m.group().lower() not in _PREPOSITIONS for m in _CUE.finditer(text))


# An offer is made in the first lines of a reply; the rest is signature, terms, quotes.
_MAX_OFFER_TEXT = 20_000
# Invoice and bulk wording: an invoice asks for money, it does not offer a price.
_PRICE_ROLES = ("price", "other", "line", "total")


def offer_in(text: str, *, language: str = "") -> Offer | None:
    """The counterpart's current offer in their own ``text`` (normalised), or None."""
    text = text[:_MAX_OFFER_TEXT]
    refused: list[Decimal] = []
    offered: list[tuple[bool, Amount]] = []  # (has a cue, amount)
    currency = ""
    vat: Literal["incl", "excl", ""] = ""
    offer_text = ""
    for sentence in sentences(text)[:200]:
        sentence = sentence[:1000]
        amounts = [a for a in amounts_in(sentence, language=language) if a.role in _PRICE_ROLES]
        folded = lowered(sentence)
        refusal = _REFUSAL.search(folded)
        if refusal is not None or _CUE.search(folded) or _PAY.search(folded):
            amounts.extend(_bare(sentence, amounts))
        if not amounts:
            continue
        for amount in amounts:
            at = sentence.find(amount.text)
            before = folded[max(0, at - 40) : at]
            if refusal is not None and _FLOOR.search(before) is None:
                # "We can't do 250" / "250 Euro sind leider unmöglich": refused, unless an
                # offer word stands between ("we can't do 250, our price is 300").
                gap = folded[refusal.end() : at] if refusal.start() < at else folded[:at]
                if len(gap) < 60 and not _strong_cue(gap):
                    refused.append(amount.value)
                    continue
            offered.append((_CUE.search(before) is not None, amount))
    low = high = None
    rng = _range(text)
    if rng is not None:
        low, high, rng_currency, rng_text = rng
        currency, offer_text = rng_currency, rng_text
    value: Decimal | None = None
    if rng is None and offered:
        cued = [a for cue, a in offered if cue] or [a for _, a in offered]
        distinct = {a.value for a in cued}
        choice = cued[-1]
        if len(distinct) == 1 or any(cue for cue, _ in offered):
            value, currency, offer_text = choice.value, choice.currency, choice.text
            low = high = value
            offer_text = _context(text, choice.text)
    if value is None and low is None and not refused:
        return None
    if _EXCL.search(text):
        vat = "excl"
    elif _INCL.search(text):
        vat = "incl"
    if not currency:
        currency = next((a.currency for _, a in offered if a.currency), "")
        if not currency:
            currency = next((a.currency for a in amounts_in(text) if a.currency), "")
    return Offer(
        value=value,
        low=low,
        high=high,
        currency=currency,
        vat=vat,
        refused=tuple(dict.fromkeys(r for r in refused if r != value)),
        text=offer_text,
    )


_BARE_AFTER = guarded(
    r"\s?(?:[.,;!?)]|$|\s(?:and|but|or|und|aber|oder|et|mais|ou|y|pero|e|ma|if|wenn|si|se)\s)"
)


def _bare(sentence: str, amounts: list[Amount]) -> list[Amount]:
    """Numbers with no currency in a refusal or an offer ("we can't do 250, 300 is our
    floor"): counted when they end their clause, so times, dates, quantities and
    durations ("Tuesday 10:00", "3 days", "19%") stay out."""
    out: list[Amount] = []
    taken = [a.text for a in amounts]
    for num in numbers(sentence):
        raw = sentence[num.start : num.end]
        if any(raw in t for t in taken) or num.value < 10 or len(out) >= 5:
            continue
        if _BARE_AFTER.match(sentence, num.end) is None:
            continue
        if num.start > 0 and sentence[num.start - 1] in "#:/-":
            continue
        out.append(Amount(value=num.value, currency="", role="price", text=raw))
    return out


def _range(text: str) -> tuple[Decimal, Decimal, str, str] | None:
    """A price range: both ends must read as numbers and at least one as money."""
    for match in _RANGE.finditer(text):
        a, b = (
            (match.group("a"), match.group("b")) if match.group("a") else (match.group("c"), match.group("d"))
        )
        first = next(numbers(a.strip("€$£ ")), None)
        second = next(numbers(b.strip("€$£ ")), None)
        if first is None or second is None or first.value >= second.value:
            continue
        span_end = min(len(text), match.end() + 12)
        chunk = text[max(0, match.start() - 6) : span_end]
        money = amounts_in(chunk)
        if not money:
            continue
        line_end = text.find("\n", match.end())
        if line_end < 0:
            line_end = len(text)
        return first.value, second.value, money[-1].currency, text[match.start() : min(line_end, span_end)]
    return None


def _context(text: str, amount_text: str) -> str:
    """The amount with what follows it on its line ("320 EUR per day plus VAT")."""
    at = text.find(amount_text)
    if at < 0:
        return amount_text
    end = text.find("\n", at)
    end = len(text) if end < 0 else end
    return text[at : min(end, at + len(amount_text) + 40)].strip().rstrip(".,;!")
