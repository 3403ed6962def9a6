"""How to address the person who wrote: a first name from the display name, never from
the address.

An address's local part is not a name: "ap@", "billing@", "invoices@" read as "Hello ap,"
and "Hello Billing," in a reply that goes out unread. So the first name comes only from
the display name ("Dr. Anna Schmidt", "Schmidt, Anna"), and a functional mailbox
("Billing Department", "ACME Accounts Payable", or no display name at all) gets no first
name: the template's greeting then reads "Hello," or, through ``$name``, "Hello ACME team,".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.first_char import guarded

# Words that make a display name (or a local part) a mailbox of a function, not a person.
ROLE_WORDS = frozenset(
    """
    accounting accounts account ap ar payable receivable billing invoice invoices invoicing
    info information noreply no-reply donotreply do-not-reply reply support sales team
    department dept office admin administration service services customer customers care
    help helpdesk hr finance payments payment orders order bookings booking reception
    contact contacts hello mail mailer news newsletter notifications notification marketing
    press jobs careers legal compliance procurement purchasing shipping logistics
    operations ops it security webmaster postmaster system robot bot alerts
    buchhaltung rechnung rechnungen rechnungswesen kundenservice kundendienst vertrieb
    verwaltung einkauf buero büro abteilung zentrale empfang personal
    comptabilité comptabilite facturation factures service-client équipe equipe
    contabilidad facturación facturacion ventas atención atencion soporte
    amministrazione contabilità contabilita fatturazione vendite assistenza ufficio
    boekhouding facturen klantenservice verkoop client clients kunden
    """.split()
)
# Legal forms: a name with one of these is an organisation.
COMPANY_WORDS = frozenset(
    "inc inc. ltd ltd. llc gmbh ag kg ug sa sarl sas s.a. s.r.l. srl bv b.v. nv plc co co. corp corp."
    " company group gbr e.v. ev oy ab as a/s".split()
)
# Titles and honorifics before a name, in the languages the owner's mail comes in.
TITLES = frozenset(
    """
    dr dr. prof prof. professor mr mr. mrs mrs. ms ms. miss mx mx. sir madam dame
    herr frau fr. hr. dipl. dipl.-ing. dipl.-ing ing. ing mag. mag dott. dott dottssa dott.ssa
    sig. sig sig.ra m. mme mme. mlle mlle. monsieur madame sr. sr sra. sra doña dhr. mevr.
    """.split()
)
ARTICLES = frozenset("the der die das le la les l' el los las il lo gli de het".split())
_PAREN = guarded(r"\s*[\(\[].*?[\)\]]\s*")
_SPLIT = guarded(r"\s+(?:\||-|–|—|/|via|@)\s+.*$", re.IGNORECASE)
_WORD = guarded(r"[^\W\d_](?:[^\W\d_]|['’.-])*", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Addressee:
    """``first_name`` is empty for a functional mailbox; ``organisation`` is what is
    left of such a display name without its role words ("ACME" of "ACME Accounts
    Payable")."""

    first_name: str = ""
    display: str = ""
    organisation: str = ""

    @property
    def greeting_name(self) -> str:
        """The first name, else "<Organisation> team", else empty."""
        if self.first_name:
            return self.first_name
        return f"{self.organisation} team" if self.organisation else ""


def addressee(display_name: str, address: str = "") -> Addressee:
    """Who wrote, from the display name (the address only decides whether it is a
    functional mailbox)."""
    display = " ".join(display_name.replace('"', " ").split())
    if "@" in display:  # a display name that is an address says nothing about a person
        display = ""
    local = address.split("@", 1)[0].lower() if "@" in address else ""
    if not display:
        return Addressee()
    cleaned = _SPLIT.sub("", _PAREN.sub(" ", display)).strip(" ,;")
    if "," in cleaned:  # "Schmidt, Anna" and "Schmidt, Dr. Anna"
        last, _, rest = cleaned.partition(",")
        if rest.strip() and not _is_organisation(rest):
            cleaned = f"{rest.strip()} {last.strip()}"
    words = cleaned.split()
    lowered = [w.lower().strip(",;:") for w in words]
    if _is_organisation(cleaned):
        kept = [w for w, low in zip(words, lowered, strict=True) if not _is_role_or_company(low)]
        while kept and kept[0].lower() in ARTICLES:
            kept.pop(0)
        organisation = " ".join(kept).strip(" ,;:&-")
        return Addressee(display=display, organisation=organisation if _has_letters(organisation) else "")
    if _is_role_local(local) and len(words) < 2:
        # "Acme" <info@acme.com>: one word from a functional mailbox is no first name.
        return Addressee(display=display)
    titled = any(low in TITLES for low in lowered)
    names = [w for w, low in zip(words, lowered, strict=True) if low not in TITLES]
    if not names or (titled and len(names) < 2):
        return Addressee(display=display)  # "Herr Müller", "Mr Smith": a surname only
    first = names[0]
    if not _WORD.fullmatch(first) or len(first.strip(".")) < 2 or first.endswith("."):
        return Addressee(display=display)  # "J. Smith": an initial, then the surname
    return Addressee(first_name=_cased(first), display=display)


def _is_organisation(text: str) -> bool:
    return any(_is_role_or_company(w.lower().strip(",;:")) for w in text.split())


def _is_role_or_company(word: str) -> bool:
    return word in ROLE_WORDS or word in COMPANY_WORDS or word.rstrip(".") in COMPANY_WORDS


def _is_role_local(local: str) -> bool:
    return any(part in ROLE_WORDS for part in re.split(r"[._+-]", local) if part)


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _cased(word: str) -> str:
    """ "ANNA" and "anna" -> "Anna"; "Anne-Marie" and "McKenzie" stay as written."""
    if word.isupper() or word.islower():
        return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
    return word
