"""Payment details a message gives: IBANs (checksum-validated), other account numbers
(UK sort code, US routing, German Kontonummer/BLZ, BIC/SWIFT), the payee, and whether the
text announces that the details changed.

Invoice-redirection fraud ("our bank account has changed, please update your records")
is the most expensive thing a deputy can fall for, so these facts are read strictly: an
IBAN counts only with a valid ISO 13616 mod-97 checksum and the length its country uses,
and every account number is kept in one normalised form so that the comparison with
what is on file (``in_context``) is exact.
"""

from __future__ import annotations

from bot.facts.model import Payment
from bot.facts.text import MAX_DETAILS, lowered
from bot.first_char import guarded

# ISO 13616 lengths per country (the SWIFT IBAN registry), for the countries seen in
# practice; an unknown country is accepted for any length 15..34.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FO": 18,
    "FR": 27, "GB": 22, "GI": 23, "GL": 18, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IL": 23,
    "IS": 26, "IT": 27, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MC": 27, "ME": 22, "MK": 19, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "XK": 20,
}  # fmt: skip

# Start of an IBAN: country, check digits, then up to 40 characters of groups; the
# length and the checksum are decided in Python, not by the pattern.
_IBAN_START = guarded(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}|[a-z]{2}\d{2})([A-Za-z0-9 ]{10,44})")
_SORT_CODE = guarded(r"sort[\s-]?code\s?[:.]?\s?(\d{2})[-\s]?(\d{2})[-\s]?(\d{2})(?!\d)")
_ROUTING = guarded(r"(?:routing|aba|rtn)(?:\s(?:number|no\.?|#))?\s?[:#.]?\s?(\d{9})(?!\d)")
_ACCOUNT = guarded(
    r"(?<![a-z])(?:account\s(?:number|no\.?|#)|acct\.?\s?(?:no\.?|#)?|a/c(?:\sno\.?)?|kontonummer|"
    r"konto-?nr\.?|kto\.?-?nr\.?|numéro\sde\scompte|n°\sde\scompte|número\sde\scuenta|"
    r"numero\sdi\sconto|conto\sn\.?)\s?[:#.]?\s?(\d[\d ]{4,16}\d)(?!\d)"
)
_BLZ = guarded(r"(?:blz|bankleitzahl)\s?[:.]?\s?(\d{3}\s?\d{3}\s?\d{2})(?!\d)")
_BIC = guarded(
    r"(?<![A-Za-z])(?:BIC|SWIFT|Bic|Swift|bic|swift)(?:[\s/-]?(?:code|Code|CODE|SWIFT|Swift|BIC|Bic))?\s?[:.]?\s?"
    r"([A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)(?![A-Za-z0-9])"
)
_PAYEE = guarded(
    r"(?<![a-z])(?:kontoinhaber(?:in)?|zahlungsempfänger|empfänger|account\s(?:holder|name)|"
    r"beneficiary(?:\sname)?|payee|titulaire(?:\sdu\scompte)?|bénéficiaire|titular(?:\sde\sla\scuenta)?|"
    r"beneficiario|intestatario|intestato\sa)\s?[:\-]\s?([^\n,;]{2,80})"
)
# "Details changed" in the languages we see: a verb of change near bank/account words.
_CHANGE = guarded(
    r"""(?x)
      (?:new|updated|changed|different|revised)\s(?:bank(?:ing)?|account|payment|remittance|wire)\s?
        (?:details|information|info|account|number|coordinates)
    | new\s(?:iban|bank|account\snumber)
    | (?:the|our|a|this)\snew\s(?:bank\s)?account
    | (?:our|the)\sold\s(?:bank\s)?account
    | (?:bank(?:ing)?|account|payment)\s(?:details|account|information)[^.\n]{0,40}
        (?:ha(?:ve|s)\s(?:been\s)?changed|changed|updated|ha(?:ve|s)\sbeen\supdated|are\sno\slonger\svalid)
    | (?:changed|switched|moved)\s(?:our|my|the)\s(?:bank|account|banking)
    | (?:update|change|amend)\s(?:our|the|your\srecords\sof\sour|your\srecords\swith\sour)\s?
        (?:bank(?:ing)?|payment|account|remittance)\s?(?:details|information|info|account)?
    | please\supdate\syour\srecords
    | no\slonger\s(?:use|valid)[^.\n]{0,30}(?:account|bank)
    | neue[nr]?\s(?:bankverbindung|kontoverbindung|kontodaten|bankdaten|iban|konto(?:nummer)?)
    | geänderte[nr]?\s(?:bankverbindung|kontoverbindung|kontodaten|bankdaten|iban)
    | (?:bankverbindung|kontoverbindung|kontodaten|bankdaten|iban)[^.\n]{0,40}(?:geändert|gewechselt|ändert)
    | (?:konto|bank)\sgewechselt
    | nouvelles?\s(?:coordonnées\sbancaires|références\sbancaires|rib|iban|compte)
    | nouveau\s(?:rib|iban|compte|numéro\sde\scompte)
    | changement\sde\s(?:coordonnées\sbancaires|rib|banque|compte)
    | (?:coordonnées\sbancaires|rib|iban)[^.\n]{0,40}(?:changé|modifié|évolué)
    | nuev[oa]s?\s(?:número\sde\scuenta|cuenta|datos\sbancarios|iban|cuenta\sbancaria)
    | (?:hemos\scambiado|cambio)\sde\s(?:banco|cuenta)
    | nuov[oei]\s(?:coordinate\sbancarie|iban|conto|dati\sbancari)
    | (?:coordinate\sbancarie|iban|conto)[^.\n]{0,40}(?:cambiat[oei]|modificat[oei])
    """
)


def iban_valid(candidate: str) -> bool:
    """ISO 13616 / ISO 7064 mod-97-10: move the first four characters to the end, letters
    to numbers (A=10), and the remainder by 97 must be 1."""
    iban = candidate.replace(" ", "").upper()
    if not 15 <= len(iban) <= 34 or not iban.isalnum() or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def ibans(text: str) -> list[str]:
    """Valid IBANs in ``text``, normalised (no spaces, upper case), in order."""
    out: list[str] = []
    pos = 0
    while len(out) < 10:
        match = _IBAN_START.search(text, pos)
        if match is None:
            break
        pos = match.start() + 4  # the groups may have run into the next IBAN: look again there
        head, raw = match.group(1).upper(), match.group(2)
        body = raw.replace(" ", "").upper()
        lengths = [IBAN_LENGTHS[head[:2]]] if head[:2] in IBAN_LENGTHS else range(34, 14, -1)
        for length in lengths:
            candidate = head + body[: length - 4]
            if len(candidate) == length and iban_valid(candidate):
                if candidate not in out:
                    out.append(candidate)
                pos = match.start(2) + _span_of(raw, length - 4)
                break
    return out


def _span_of(raw: str, alnum: int) -> int:
    """How many characters of ``raw`` hold its first ``alnum`` non-space characters."""
    seen = 0
    for index, char in enumerate(raw):
        if char != " ":
            seen += 1
            if seen == alnum:
                return index + 1
    return len(raw)


def accounts(text: str) -> list[str]:
    """Other account numbers, each as ``kind:digits`` so they compare exactly."""
    out: list[str] = []
    low = lowered(text)
    for m in _SORT_CODE.finditer(low):
        out.append("sort:" + "".join(m.groups()))
    for m in _ROUTING.finditer(low):
        out.append("aba:" + m.group(1))
    for m in _BLZ.finditer(low):
        out.append("blz:" + m.group(1).replace(" ", ""))
    for m in _ACCOUNT.finditer(low):
        out.append("acct:" + m.group(1).replace(" ", ""))
    for m in _BIC.finditer(text):
        out.append("bic:" + m.group(1))
    return list(dict.fromkeys(out))[:10]


def payee(text: str) -> str:
    match = _PAYEE.search(lowered(text))
    return text[match.start(1) : match.end(1)].strip(" .:-\t") if match else ""


_NEGATED = guarded(
    r"(?<![a-zà-ÿ])(?:not|nothing|never|unchanged|same|nicht|nichts|keine|unverändert|pas|rien|"
    r"inchangée?s?|nada|sin\scambios|nessun|invariat[oei])(?![A-Za-zÀ-ÿ])"
)


# What _CHANGE cannot match without: every alternative holds one of these words as
# written in lower case ("ban" in bank, iban, banque, banco, bancaires, bankverbindung).
CHANGE_NEEDLES = (
    *("ban", "account", "payment", "remittance", "wire", "records"),
    *("konto", "rib", "compte", "cuenta", "conto"),
)


def announces_change(text: str) -> bool:
    """A change announced, not denied: "nothing has changed" is no announcement."""
    low = lowered(text)
    if not any(needle in low for needle in CHANGE_NEEDLES):
        return False  # the case-sensitive _CHANGE (it reads lower case) cannot match
    for match in _CHANGE.finditer(low):
        around = low[max(0, match.start() - 30) : match.end()]
        if _NEGATED.search(around) is None:
            return True
    return False


def payment_in(text: str) -> Payment:
    """The payment facts of ``text`` (already normalised); ``changed`` is left to
    ``in_context``, which knows what is on file."""
    text = text[:MAX_DETAILS]
    return Payment(
        ibans=tuple(ibans(text)),
        accounts=tuple(accounts(text)),
        payee=payee(text),
        announces_change=announces_change(text),
    )


def normalise_detail(detail: str) -> str:
    """An IBAN or account as stored on file, in the form ``payment_in`` gives."""
    return detail.replace(" ", "").replace("-", "").upper() if ":" not in detail else detail.replace(" ", "")
