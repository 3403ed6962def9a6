"""What an outgoing text commits to, read from its words: an acceptance, a payment, a
date. The gate compares these with the action's typed commitments (``bot.actions.
Commitment``): free text that commits without the matching typed field is blocked, so
a hijacked model cannot promise in prose what it could not promise in a field.

Heuristics, tuned to fail closed: a benign sentence read as a commitment costs one
question to the owner; a commitment missed costs money. Negated forms ("we cannot
agree", "nicht einverstanden", "pas d'accord") are not commitments.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date

from bot.alternation import alternation
from bot.first_char import guarded
from bot.gate.normalize import fold
from bot.needles import Needles, may_match, skeleton

_NEG = guarded(
    r"(?i)(?:\bnot\b|n't\b|n’t\b|\bcannot\b|\bunable\b|\bnever\b|\bno\b|\bnicht\b|\bkein\w*|\bpas\b"
    r"|\bne\b|\bn['’]|\bnon\b|\bjamais\b|\bno\s+podemos\b)[^.!?;]{0,25}$"
)

ACCEPT_RE = guarded(
    r"""(?ix)
    \b(?:it'?s|it\s+is|that'?s|that\s+is|we\s+have|you\s+have|you'?ve\s+got|we'?ve\s+got)\s+a\s+deal\b
    | (?:^|[.!?:]\s*|\bok(?:ay)?[,!]?\s+)deal\b(?!\s+with)
    | \bdeal\s+(?:at|for|done|closed|agreed)\b
    | \b(?<!as\s)(?<!as\s\s)agreed\b(?!\s+(?:upon\s+)?(?:earlier|before|previously))
    | \bwe\s+(?:hereby\s+|gladly\s+|happily\s+|are\s+happy\s+to\s+|will\s+|'ll\s+|can\s+)?
      (?:accept|agree\s+(?:to|on|with)|approve|take|go\s+with|go\s+ahead\s+with)\b
      (?!\s+(?:a\s+look|care|note|part|place|time|the\s+day|it\s+from\s+here))
    | \bi\s+(?:hereby\s+|will\s+|'ll\s+|can\s+)?(?:accept|agree\s+(?:to|on|with)|approve)\b
    | \b(?:offer|proposal|quote|quotation|price|terms|counter-?offer|bid)\s+(?:is\s+|are\s+|has\s+been\s+)?
      (?:accepted|approved|agreed)\b
    | \bsounds?\s+good[,.!]?\s+(?:let'?s|we'?ll)\s+(?:go|proceed|do\s+it)\b
    | \blet'?s\s+(?:do\s+it|go\s+with|proceed\s+(?:at|with))\b
    | \byou\s+(?:have|'ve\s+got)\s+(?:yourself\s+)?a\s+deal\b
    | \beinverstanden\b | \babgemacht\b | \bzugestimmt\b | \bangenommen\b | \bakzeptiert\b
    | \bwir\s+(?:akzeptieren|nehmen\s+(?:ihr|ihren|das|dein|deinen)|stimmen\s+(?:zu|ihrem|dem))
    | \bich\s+(?:akzeptiere|stimme\s+zu|nehme\s+(?:ihr|das)\s+angebot)
    | \bd['’]\s?accord\b | \bnous\s+acceptons\b | \bj['’]\s?accepte\b | \bmarché\s+conclu\b
    | \b(?:offre|proposition|devis)\s+(?:est\s+)?accepté
    | \bc['’]est\s+(?:d['’]accord|entendu|bon\s+pour\s+nous|ok)\b
    | \bde\s+acuerdo\b | \baceptamos\b | \btrato\s+hecho\b | \baccettiamo\b | \bd['’]accordo\b
    """
)

# Every alternative of ACCEPT_RE holds one of these groups literally (see bot.needles):
# "deal" (it's a deal, ok deal, deal done, you've got a deal), agree/agreed, accept
# (accepted, acceptons, accepté), approve, "we ... take", "we ... go with", "sound(s) good",
# "let's", the German verbs, "d'accord(o)", "marché conclu", "c'est entendu / bon pour
# nous / ok", and the Spanish and Italian forms.
ACCEPT_NEEDLES: Needles = (
    *(("deal",), ("agree",), ("accept",), ("approve",), ("we", "take"), ("we", "go")),
    *(("sound", "good"), ("let",), ("einverstanden",), ("abgemacht",), ("zugestimmt",)),
    *(("angenommen",), ("akzeptier",), ("nehme",), ("stimme",), ("accord",), ("conclu",)),
    *(("entendu",), ("bon", "pour", "nous"), ("est", "ok"), ("acuerdo",), ("aceptamos",)),
    *(("trato",), ("accettiamo",)),
)

PAY_RE = guarded(
    r"""(?ix)
    \b(?:will|shall|'ll|’ll|is\s+going\s+to|are\s+going\s+to|gonna)\s+(?:be\s+)?(?:promptly\s+|fully\s+)?
      (?:pay|paid|transfer(?:red)?|wire[d]?|settle[d]?|remit(?:ted)?|reimburse[d]?|refund(?:ed)?)\b(?!\s+attention)
    | \b(?:we|i)\s+(?:shall\s+|will\s+|'ll\s+|’ll\s+|can\s+|hereby\s+|are\s+happy\s+to\s+)?
      (?:pay|transfer|wire|settle|remit|reimburse|refund)\b(?!\s+attention)
    | \b(?:we|i)\s+(?:have|'ve|’ve)\s+(?:already\s+|just\s+)?
      (?:paid|transferred|wired|settled|sent\s+the\s+(?:payment|money|funds))\b
    | \b(?:we|i)\s+(?:am|are|'re|’re)\s+
      (?:paying|transferring|wiring|sending\s+(?:the\s+)?(?:payment|money|funds))\b
    | \bpayment\s+(?:will\s+be|is\s+being|has\s+been|is)\s+
      (?:made|sent|initiated|scheduled|released|on\s+its\s+way|approved|authori[sz]ed)\b
    | \bpaid\s+(?:this|next|by|today|tomorrow|within|on|before|in\s+full|immediately|shortly|asap)\b
    | \b(?:release|send|make)\s+(?:the\s+)?(?:payment|transfer|funds)\b
    | \bwird\s+(?:\w+\s+){0,3}(?:überwiesen|bezahlt|beglichen|gezahlt|angewiesen|erstattet)\b
    | \b(?:wir|ich)\s+(?:werden\s+|\w+\s+)?(?:zahlen|bezahlen|überweisen|begleichen|erstatten)\b
    | \b(?:überweisung|zahlung)\s+(?:erfolgt|wird|ist\s+veranlasst|veranlassen)\b
    | \bsera\s+(?:\w+\s+){0,2}(?:payée?s?|réglée?s?|versée?s?|virée?s?|remboursée?s?)\b
    | \bseront\s+(?:\w+\s+){0,2}(?:payées?|réglées?|versées?|virées?)\b
    | \bnous\s+(?:allons\s+|pouvons\s+)?
      (?:paierons|payerons|réglerons|virerons|verserons|payer|régler|virer|verser|rembourser)\b
    | \b(?:le\s+)?(?:paiement|virement|règlement)\s+(?:sera|est|a\s+été)\b
    | \bnous\s+avons\s+(?:payé|réglé|viré|versé)\b
    | \bserá\s+pagad[oa]\b | \bpagaremos\b | \btransferiremos\b | \bsarà\s+pagat[oa]\b | \bpagheremo\b
    # German and Dutch put the verb last after a modal: "wir können 300 EUR sofort
    # überweisen", "we kunnen het bedrag morgen overmaken".
    | \b(?:wir|ich)\s+(?:werden|werde|können|könnten|kann|könnte|würden|würde|wollen|will|möchten)\s+
      (?:\S+\s+){0,6}?(?:zahlen|bezahlen|überweisen|begleichen|erstatten|anweisen|zurückzahlen)\b
    | \b(?:wij|we|ik)\s+(?:zullen|zal|kunnen|kan|gaan|willen)\s+(?:\S+\s+){0,6}?
      (?:betalen|overmaken|overschrijven|terugbetalen|storten|vergoeden)\b
    | \b(?:wordt|worden)\s+(?:\S+\s+){0,3}?(?:betaald|overgemaakt|gestort|terugbetaald)\b
    | \b(?:podemos|podríamos|puedo|podría|vamos\s+a)\s+(?:\S+\s+){0,3}?
      (?:pagar|transferir|abonar|reembolsar|devolver)\b
    | \b(?:possiamo|potremmo|posso|potrei)\s+(?:\S+\s+){0,3}?(?:pagare|bonificare|rimborsare|versare)\b
    """
)

_MONTHS = {
    **dict.fromkeys(("january", "jan", "januar", "janvier", "enero", "gennaio"), 1),
    **dict.fromkeys(("february", "feb", "februar", "février", "fevrier", "febrero", "febbraio"), 2),
    **dict.fromkeys(("march", "mar", "märz", "maerz", "mars", "marzo"), 3),
    **dict.fromkeys(("april", "apr", "avril", "abril", "aprile"), 4),
    **dict.fromkeys(("may", "mai", "mayo", "maggio"), 5),
    **dict.fromkeys(("june", "jun", "juni", "juin", "junio", "giugno"), 6),
    **dict.fromkeys(("july", "jul", "juli", "juillet", "julio", "luglio"), 7),
    **dict.fromkeys(("august", "aug", "août", "aout", "agosto"), 8),
    **dict.fromkeys(("september", "sep", "sept", "septembre", "septiembre", "settembre"), 9),
    **dict.fromkeys(("october", "oct", "oktober", "octobre", "octubre", "ottobre"), 10),
    **dict.fromkeys(("november", "nov", "novembre", "noviembre"), 11),
    **dict.fromkeys(("december", "dec", "dezember", "décembre", "decembre", "diciembre", "dicembre"), 12),
}
_MONTH = "(?:" + alternation(_MONTHS, ignore_case=True) + r")\.?"
_WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|donnerstag"
    r"|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
)
_ISO = r"(?P<iso>\d{4}-\d{2}-\d{2})"
_NUMERIC = r"(?P<nd>\d{1,2})[./](?P<nm>\d{1,2})(?:[./](?P<ny>\d{2,4}))?"
# "3 March", "3rd of March", "3. März", "3 mars", "3 de marzo (de 2026)"
_DAY_MONTH = (
    rf"(?P<dd>\d{{1,2}})(?:st|nd|rd|th|er|\.)?\s+(?:of\s+|de\s+)?(?P<dm>{_MONTH})"
    rf"(?:\s+(?:de\s+)?(?P<dy>\d{{4}}))?"
)
_MONTH_DAY = rf"(?P<mm>{_MONTH})\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<my>\d{{4}}))?"
_EXPLICIT = rf"(?:{_ISO}|{_DAY_MONTH}|{_MONTH_DAY}|{_NUMERIC})"
EXPLICIT_DATE_RE = guarded(rf"(?i)(?<![\w.])(?:{_ISO}|{_DAY_MONTH}|{_MONTH_DAY})(?![\w])")
_RELATIVE = (
    rf"(?:(?:this|next|coming)\s+(?:{_WEEKDAY}|week|month)|{_WEEKDAY}|tomorrow|tonight|today"
    r"|(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+)?(?:day|week|month|year|quarter)|eod|eow|eom|cob"
    r"|\d+\s+(?:business\s+|working\s+|calendar\s+)?(?:days?|weeks?|hours?|months?)"
    r"|morgen|heute|ende\s+(?:der\s+woche|des\s+monats|\w+)|\d+\s+(?:werktagen|tagen|wochen|stunden)"
    r"|demain|fin\s+(?:de\s+la\s+semaine|du\s+mois|\w+)|\d+\s+(?:jours?|semaines?|heures?))"
)
DEADLINE_RE = guarded(
    rf"""(?ix)
    \b(?:by|before|until|till|no\s+later\s+than|not\s+later\s+than|on\s+or\s+before|at\s+the\s+latest\s+on
       |latest\s+(?:by|on)|deadline(?:\s+is)?|due(?:\s+on|\s+by)?|within|in\s+the\s+next|delivered\s+on
       |ship(?:ped)?\s+on|ready\s+(?:on|by)|arrive[s]?\s+on|paid\s+on|deliver(?:y|ed)?\s+(?:on|by)
       |bis\s+(?:zum\s+|spätestens\s+|am\s+)?|spätestens(?:\s+am|\s+bis)?|innerhalb\s+(?:von\s+)?|fällig\s+am
       |avant\s+(?:le\s+)?|d['’]ici\s+(?:le\s+|à\s+)?|au\s+plus\s+tard\s+(?:le\s+)?|jusqu['’]au|sous|dans\s+les
       |para\s+el|antes\s+del?|entro\s+il)
    \s*(?:the\s+)?(?:{_EXPLICIT}|{_RELATIVE})\b
    """
)


_DIGIT = guarded(r"\d")  # the same \d (any Unicode decimal digit) the date regexes use
# EXPLICIT_DATE_RE needs a digit and either the ISO form or a month's name; the
# shortest names stand for the longer ones that contain them ("jan" for "january").
# The ISO form is looked for as it is (a digit-led pattern the engine scans for fast):
# a "-" alone is in every "e-mail" and order number.
_ISO_SHAPE = guarded(r"\d{4}-\d{2}-\d{2}")
_MONTH_WORDS = sorted({m.lower() for m in _MONTHS})
DATE_NEEDLES: Needles = tuple((m,) for m in _MONTH_WORDS if not any(o != m and o in m for o in _MONTH_WORDS))


def may_name_a_date(text: str, text_skeleton: str = "") -> bool:
    """False when EXPLICIT_DATE_RE cannot match ``text`` (see bot.needles)."""
    if _DIGIT.search(text) is None:
        return False
    if "-" in text and _ISO_SHAPE.search(text) is not None:
        return True
    return may_match(DATE_NEEDLES, text_skeleton or skeleton(text))


def without_dates(text: str) -> str:
    """The text with calendar dates ("7 March", "2025-03-07", "March 7th") blanked: the
    day of a date is not money ("we will pay by 7 March" promises no 7 EUR)."""
    if not may_name_a_date(text):
        return text
    return EXPLICIT_DATE_RE.sub(lambda m: " " * len(m[0]), text)


# A buyer's price, worded as what we are able to pay: "We can pay 300 EUR", "Wir können
# 300 EUR zahlen", "Nous pouvons payer 300 €". On the buy side this is the offer itself,
# whose amount is typed and checked against the mandate; it promises no payment beyond
# it, provided the sentence names no time, account or other amount (checked by the
# gate). "Will pay", "pay tomorrow" and "pay to ..." stay payment promises.
_PRICE_AS_PAY = guarded(
    r"""(?ix)
    ^(?:but\s+|so\s+|well,?\s+|ok(?:ay)?,?\s+|for\s+\w+(?:\s+\w+){0,3},?\s+)?
    (?:
      (?:we|i)\s+(?:can|could|would\s+be\s+able\s+to|are\s+able\s+to|am\s+able\s+to
        |(?:are|am|would\s+be)\s+(?:willing|prepared)\s+to|'d\s+be\s+(?:able|willing)\s+to)
        \s+(?:only\s+)?pay\b
    | (?:the\s+)?(?:most|maximum|max|best)\s+(?:we|i)\s+(?:can|could)\s+pay\s+is\b
    | (?:wir|ich)\s+(?:können|könnten|kann|könnte)\s+(?:ihnen\s+)?(?:\S+\s+){1,4}(?:zahlen|bezahlen)\b
    | (?:nous|je)\s+(?:pouvons|pourrions|peux|pourrais)\s+(?:vous\s+)?payer\b
    | (?:podemos|podríamos|puedo|podría)\s+pagar\b
    | (?:possiamo|potremmo|posso|potrei)\s+pagare\b
    | (?:wij|we|ik)\s+(?:kunnen|zouden|kan)\s+(?:\S+\s+){1,4}(?:betalen)\b
    )
    """
)
_TIMING_OR_TARGET = guarded(
    r"(?i)\b(?:now|today|tomorrow|immediately|upfront|up\s+front|in\s+advance|asap|right\s+away|to\s+(?:the|your|this|a|an|our)|into"
    r"|iban|account|konto|compte|cuenta|conto|rekening|bank|wallet|paypal|btc|bitcoin|crypto|card"
    r"|sofort|heute|morgen|vorab|im\s+voraus|immédiatement|aujourd'hui|demain|d'avance|hoy|mañana|ya|oggi|domani|subito"
    r"|vandaag|morgen|direct|vooraf)\b"
)


def pay_sentences(text: str) -> list[str]:
    """Each sentence of ``text`` (normalised) that words a payment promise."""
    view = fold(text).replace("’", "'")
    out: list[str] = []
    for sentence in re.split(r"(?<=[.!?;])\s+|\n+", view):
        if any(not _negated(sentence, m.start()) for m in PAY_RE.finditer(sentence)):
            out.append(sentence.strip())
    return out


def price_as_pay(sentence: str, *, year: int) -> bool:
    """The sentence states a buyer's price as what we can pay, and nothing else: no
    time, no account, no acceptance or date besides it (the amount is the gate's)."""
    if not _PRICE_AS_PAY.search(sentence) or _TIMING_OR_TARGET.search(sentence):
        return False
    return all(p.kind == "pay" for p in promises_in(sentence, year=year))


@dataclass(frozen=True, slots=True)
class Promise:
    """One commitment read from free text."""

    kind: str  # "accept" | "pay" | "date"
    words: str  # the words that commit, as found
    on: date | None = None  # for a date: the day named, when it names one


def _negated(text: str, start: int) -> bool:
    return bool(_NEG.search(text[max(0, start - 40) : start]))


def _date_of(m: re.Match[str], default_year: int) -> date | None:
    g = m.groupdict()
    try:
        if g.get("iso"):
            return date.fromisoformat(g["iso"])
        if g.get("dd"):
            return date(int(g["dy"] or default_year), _MONTHS[g["dm"].lower().rstrip(".")], int(g["dd"]))
        if g.get("mm"):
            return date(int(g["my"] or default_year), _MONTHS[g["mm"].lower().rstrip(".")], int(g["md"]))
        if g.get("nd"):
            year = int(g["ny"]) if g.get("ny") else default_year
            year = year + 2000 if year < 100 else year
            return date(year, int(g["nm"]), int(g["nd"]))  # day first: the European order
    except (ValueError, KeyError):
        return None
    return None


def promises_in(text: str, *, year: int) -> list[Promise]:
    """Every acceptance, payment and date commitment in a text (normalised first, so
    fullwidth or zero-width-split words are read as a reader reads them)."""
    return list(_promises(text, year))


@functools.lru_cache(maxsize=256)
def _promises(text: str, year: int) -> tuple[Promise, ...]:
    """Cached: the rules-only agent types a template's promises and the gate checks the
    same text moments later; the scan is the costliest part of the gate."""
    view = fold(text).replace("’", "'")
    found: list[Promise] = []
    # The acceptance regex is the costliest scan (some 25 alternatives tried at every
    # position); a text without any of its words cannot match it.
    shape = skeleton(view)
    accept = may_match(ACCEPT_NEEDLES, shape)
    for kind, regex in (("accept", ACCEPT_RE), ("pay", PAY_RE)):
        if kind == "accept" and not accept:
            continue
        for m in regex.finditer(view):
            if not _negated(view, m.start()):
                found.append(Promise(kind=kind, words=m[0].strip()))
    spans: list[tuple[int, int]] = []
    for m in DEADLINE_RE.finditer(view):
        found.append(Promise(kind="date", words=m[0].strip(), on=_date_of(m, year)))
        spans.append(m.span())
    for m in EXPLICIT_DATE_RE.finditer(view) if may_name_a_date(view, shape) else ():
        if any(a <= m.start() < b for a, b in spans):
            continue
        found.append(Promise(kind="date", words=m[0].strip(), on=_date_of(m, year)))
    return tuple(found)
