"""The due date a message sets: "due by 15 March 2027", "fällig am 15.03.2027",
"zahlbar bis 31.3.", "à régler avant le 15 mars 2027", "within 14 days", "innerhalb von 14
Tagen", "net 30".

Only a date tied to a due word counts: a mail full of dates (meeting times, the invoice
date, the delivery date) has one due date, and a reminder task built on the wrong one
nags on the wrong day. Relative terms count from ``today`` (the day the mail arrived),
so the same mail always gives the same date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from bot.alternation import alternation
from bot.first_char import guarded
from bot.needles import Needles, may_match, skeleton

MONTHS: dict[str, int] = {
    **{m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july"), 1)},
    **{m: i for i, m in enumerate(("august", "september", "october", "november", "december"), 8)},
    **{m: i for i, m in enumerate(("januar", "februar", "märz", "april", "mai", "juni", "juli"), 1)},
    **{m: i for i, m in enumerate(("august", "september", "oktober", "november", "dezember"), 8)},
    **{m: i for i, m in enumerate(("janvier", "février", "mars", "avril", "mai", "juin", "juillet"), 1)},
    **{m: i for i, m in enumerate(("août", "septembre", "octobre", "novembre", "décembre"), 8)},
    **{m: i for i, m in enumerate(("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio"), 1)},
    **{m: i for i, m in enumerate(("agosto", "septiembre", "octubre", "noviembre", "diciembre"), 8)},
    **{m: i for i, m in enumerate(("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno"), 1)},
    **{m: i for i, m in enumerate(("luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"), 7)},
    "jänner": 1, "maerz": 3, "setiembre": 9, "fevrier": 2, "aout": 8, "decembre": 12,
    **{m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug"), 1)},
    "sep": 9, "sept": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12, "dez": 12, "mär": 3,
}  # fmt: skip
_MONTH = alternation(MONTHS, ignore_case=True)

# Words that make the next date (within a few words) the due date.
_DUE = guarded(
    r"""(?ix)(?<![A-Za-zÀ-ÿ])(?:
      due(?:\s(?:date|by|on))? | payable\s(?:by|on|until|before) | pay(?:ment)?\s(?:by|before|until)
    | payment\sdue | no\slater\sthan | deadline | settle\sby
    | fällig(?:\sam|\sbis)? | zahlbar\s(?:bis|am) | zahlungsziel | zahlungsfrist | bis\sspätestens
    | spätestens\s(?:am|bis) | zu\szahlen\sbis | bitte\s(?:bis|zum)
    | à\srégler\s(?:avant\sle|avant|au\splus\stard\sle|le) | à\spayer\savant\sle | avant\sle
    | échéance | date\sd'échéance | date\slimite(?:\sde\spaiement)? | au\splus\stard\sle
    | vence(?:\sel)? | fecha\sde\svencimiento | pagar\santes\sdel | antes\sdel
    | scadenza | da\spagare\sentro\sil | entro\sil
    )(?![A-Za-zÀ-ÿ])"""
)
_NUMERIC = guarded(
    r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})?(?!\d)|(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"
)
_DAY_MONTH = guarded(
    rf"(?i)(?<!\d)(\d{{1,2}})(?:st|nd|rd|th|er)?\.?\s(?:de\s)?({_MONTH})\.?(?:\s(?:de\s)?(\d{{4}}))?(?!\d)"
)
_MONTH_DAY = guarded(rf"(?i)(?<![A-Za-z])({_MONTH})\.?\s(\d{{1,2}})(?:st|nd|rd|th)?,?(?:\s(\d{{4}}))?(?!\d)")
_RELATIVE = guarded(
    r"""(?ix)(?:
      within | in | innerhalb(?:\svon)? | binnen | sous | dans\sun\sdélai\sde | dans\sles | d'ici
    | en(?:\sun\splazo\sde)? | dentro\sde | entro
    )\s(\d{1,3})\s(?:calendar\s|business\s|working\s)?
      (?:days?|tage[n]?|werktage[n]?|jours?|días|dias|giorni)
    | \bnet\s(\d{1,3})\b | (\d{1,3})\stage\snetto | (\d{1,3})\sdays\snet
    """
)
_WINDOW = 60

# What the date patterns cannot match without (see bot.needles): every one needs a
# digit; _NUMERIC a "." "/" or "-"; the two with a month its name (the shortest names
# stand for the longer ones that contain them); _RELATIVE a word for days or "net".
_DIGIT = guarded(r"\d")
_MONTH_WORDS = sorted(MONTHS)
_MONTH_NEEDLES: Needles = tuple(
    (m,) for m in _MONTH_WORDS if not any(o != m and o in m for o in _MONTH_WORDS)
)
_RELATIVE_NEEDLES: Needles = (("day",), ("tage",), ("jour",), ("días",), ("dias",), ("giorni",), ("net",))


def _may_be_relative(text: str) -> bool:
    return _DIGIT.search(text) is not None and may_match(_RELATIVE_NEEDLES, skeleton(text))


def due_date(text: str, *, today: date) -> date | None:
    """The first due date in ``text``, absolute or relative to ``today``."""
    # A window is part of the text: a text that cannot hold a relative term has no
    # window that can.
    relative = _may_be_relative(text)
    for match in _DUE.finditer(text):
        end = match.end()
        window = text[end : end + _WINDOW]
        found = next(_dates(window, today), None)
        if found is not None:
            return found
        rel = _RELATIVE.search(window) if relative else None
        if rel is not None:
            return today + timedelta(days=int(next(g for g in rel.groups() if g)))
    for rel in _RELATIVE.finditer(text) if relative else ():
        before = text[max(0, rel.start() - 40) : rel.start()].lower()
        if any(
            w in before for w in ("pay", "zahl", "überweis", "régl", "paie", "pag", "settle")
        ) or rel.group(2):
            return today + timedelta(days=int(next(g for g in rel.groups() if g)))
    return None


def all_dates(text: str, *, today: date) -> list[date]:
    """Every absolute date written in ``text`` (for checking a date a model proposes)."""
    return list(_dates(text, today))[:50]


def _dates(text: str, today: date) -> Iterator[date]:
    hits: list[tuple[int, date]] = []
    if _DIGIT.search(text) is None:
        return
    numeric = "." in text or "/" in text or "-" in text
    named = may_match(_MONTH_NEEDLES, skeleton(text))
    for m in _NUMERIC.finditer(text) if numeric else ():
        if m.group(4):
            d = _make(int(m.group(4)), int(m.group(5)), int(m.group(6)))
        else:
            first, second = int(m.group(1)), int(m.group(2))
            day, month = (second, first) if second > 12 >= first else (first, second)
            d = _make(_year(m.group(3), day, month, today), month, day)
        if d is not None:
            hits.append((m.start(), d))
    for m in _DAY_MONTH.finditer(text) if named else ():
        month = MONTHS[m.group(2).lower()]
        d = _make(_year(m.group(3), int(m.group(1)), month, today), month, int(m.group(1)))
        if d is not None:
            hits.append((m.start(), d))
    for m in _MONTH_DAY.finditer(text) if named else ():
        month = MONTHS[m.group(1).lower()]
        d = _make(_year(m.group(3), int(m.group(2)), month, today), month, int(m.group(2)))
        if d is not None:
            hits.append((m.start(), d))
    for _, d in sorted(hits, key=lambda h: h[0]):
        yield d


def _year(raw: str | None, day: int, month: int, today: date) -> int:
    """A written year; "15.03." without one is the next such day from today."""
    if raw:
        year = int(raw)
        return year + 2000 if year < 100 else year
    candidate = _make(today.year, month, day)
    return today.year + 1 if candidate is not None and candidate < today else today.year


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
