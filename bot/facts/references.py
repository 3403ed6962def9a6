"""Invoice, order and customer numbers as written ("Invoice No. INV-2027-0042",
"Rechnungsnummer 2027-118", "N° de facture F-0042", "PO 4711", "Bestellnummer 4711").

They tie a mail to what Deputy already knows (the order it matches, the invoice a
reminder is about), so they are kept exactly as written, label dropped.
"""

from __future__ import annotations

import re

from bot.facts.text import MAX_DETAILS, lowered
from bot.first_char import guarded

_REF = guarded(
    r"""(?x)(?<![a-zà-ÿ])(?:
      invoice | inv\. | bill | receipt | order | purchase\sorder | p\.?o\. | po | customer | client
    | account | contract | quote | quotation | reference | ref\. | ref | case | ticket
    | rechnung | rechnungs-?nr\.? | rechnungsnummer | beleg(?:nummer)? | bestellung | bestellnummer
    | bestell-?nr\.? | auftrag(?:snummer|s-?nr\.?)? | kunden-?nr\.? | kundennummer | angebot(?:snummer)?
    | vertrag(?:snummer)? | vorgang | aktenzeichen | az\.
    | facture | n°\sde\sfacture | numéro\sde\sfacture | commande | n°\sde\scommande | bon\sde\scommande
    | n°\sclient | numéro\sclient | devis | référence | réf\.
    | factura | pedido | número\sde\spedido | fattura | ordine | numero\sordine | riferimento | rif\.
    )(?![a-zà-ÿ])
    (?:\s?(?:no\.?|nr\.?|number|num\.?|n[°º]\.?|\#|nummer|numéro|número|numero|id))?
    \s?[:\#.]?\s?(?:lautet\s|is\s|ist\s|est\s|es\s|è\s)?
    (?=[a-z/_.-]{0,12}\d)(?P<ref>[a-z0-9][a-z0-9/_.-]{1,30}[a-z0-9]|\d{2,})
    """
)


def references(text: str) -> list[str]:
    """Reference numbers in order, deduplicated; a reference must hold a digit and at
    least three characters, so "Order: please" or "PO box" are not numbers."""
    out: list[str] = []
    text = text[:MAX_DETAILS]
    for match in _REF.finditer(lowered(text)):
        ref = text[match.start("ref") : match.end("ref")]  # as written: the match ran on lower case
        if len(ref) < 3 or not any(c.isdigit() for c in ref):
            continue
        if re.fullmatch(r"\d{1,2}[./]\d{1,2}[./]\d{2,4}", ref) or (
            re.fullmatch(r"[\d.,]+", ref) and "," in ref
        ):
            continue  # a date or an amount after the label ("Invoice 15.03.2027", "Order 1,840")
        if ref not in out:
            out.append(ref)
        if len(out) >= 10:
            break
    return out
