"""What a reply does with what was said before: accepts, declines, counters, asks.

Read from the sender's own words, declines first: "pas d'accord", "non va bene" and
"doesn't work for me" contain an acceptance, and taking them as a yes would commit the
owner to something the other side refused.
"""

from __future__ import annotations

import re

from bot.facts.model import AnswerKind, Offer
from bot.facts.text import lowered
from bot.first_char import guarded

_B, _E = r"\b", r"(?![a-zà-ÿ])"


def _words(*phrases: str) -> re.Pattern[str]:
    body = "|".join(sorted(phrases, key=len, reverse=True))
    return guarded(rf"{_B}(?:{body}){_E}")  # matched on lowered text


_DECLINES = _words(
    r"no,?\sthanks?",
    r"no,?\sthank\syou",
    r"not\sinterested",
    r"we'?ll\spass",
    r"i'?ll\spass",
    r"decline",
    r"(?:does|do)\s?n[o']t\swork",
    r"won'?t\swork",
    r"not\sfor\sus",
    r"not\sat\sthis\stime",
    r"not\sgoing\sto\swork",
    r"not\sagreed",
    r"no\sdeal",
    r"we\sare\sgoing\swith\sanother",
    r"(?:have|'ve)\sdecided\s(?:to\sgo\swith|against)",
    r"unfortunately\swe\swill\snot",
    r"we\swill\snot\sproceed",
    r"leider\snein",
    r"nein,?\sdanke",
    r"kein(?:e)?\sinteresse",
    r"passt\s(?:mir\s|uns\s)?leider\snicht",
    r"passt\snicht",
    r"nicht\seinverstanden",
    r"müssen\s(?:leider\s)?absagen",
    r"sagen\s(?:leider\s)?ab",
    r"pas\sintéressée?s?",
    r"non,?\smerci",
    r"ne\ssommes\spas\sintéressés",
    r"pas\sd'accord",
    r"ne\sme\sconvient\spas",
    r"ne\snous\sconvient\spas",
    r"ça\sne\smarche\spas",
    r"nous\sdéclinons",
    r"no,?\sgracias",
    r"no\s(?:estamos|estoy)\sinteresad[oa]s?",
    r"no\sme\sinteresa",
    r"no\sme\sviene\sbien",
    r"non\ssiamo\sinteressati",
    r"non\ssono\sinteressat[oa]",
    r"no,?\sgrazie",
    r"non\sva\sbene",
    r"non\sfa\sper\snoi",
)
_ACCEPTS = _words(
    r"works\sfor\s(?:me|us)",
    r"sounds\sgood",
    r"sounds\sgreat",
    r"deal",
    r"agreed",
    r"i\saccept",
    r"we\saccept",
    r"accepted",
    r"let'?s\sdo\sit",
    r"let'?s\sgo\sahead",
    r"go\sahead",
    r"that'?s\sfine",
    r"fine\sby\sme",
    r"perfect",
    r"confirmed",
    r"i\sconfirm",
    r"we\sconfirm",
    r"happy\sto\sproceed",
    r"please\sproceed",
    r"count\sme\sin",
    r"(?:is|are|sounds|seems)\s(?:fine|ok(?:ay)?|good|acceptable)",
    r"see\syou\sthen",
    r"yes,?\splease",
    r"ok(?:ay)?,?\s(?:for|with)\sme",
    r"einverstanden",
    r"passt(?:\s(?:mir|uns|gut))?",
    r"geht\sklar",
    r"in\sordnung",
    r"abgemacht",
    r"gerne",
    r"machen\swir\sso",
    r"bestätige",
    r"bestätigen",
    r"zugesagt",
    r"klingt\sgut",
    r"d'accord",
    r"ça\smarche",
    r"ça\sme\sva",
    r"ça\snous\sva",
    r"parfait",
    r"j'accepte",
    r"nous\sacceptons",
    r"entendu",
    r"volontiers",
    r"je\sconfirme",
    r"c'est\sbon\spour\smoi",
    r"de\sacuerdo",
    r"me\sparece\sbien",
    r"vale",
    r"trato\shecho",
    r"perfecto",
    r"acepto",
    r"aceptamos",
    r"va\sbene",
    r"d'accordo",
    r"perfetto",
    r"accetto",
    r"accettiamo",
    r"affare\sfatto",
    r"confermo",
)
_COUNTER = _words(
    r"best\sprice",
    r"final\sprice",
    r"our\sprice",
    r"we\scan\sdo",
    r"we\scould\sdo",
    r"how\sabout",
    r"what\sabout",
    r"would\syou\saccept",
    r"counter",
    r"go\sbelow",
    r"go\slower",
    r"minimum",
    r"mindestens",
    r"nicht\sunter",
    r"instead",
    r"lowest",
    r"können\swir",
    r"unser\spreis",
    r"statt",
    r"stattdessen",
    r"nous\spouvons",
    r"notre\sprix",
    r"plutôt",
    r"podemos",
    r"nuestro\sprecio",
    r"possiamo",
    r"il\snostro\sprezzo",
)
_ASKS = _words(
    r"could\syou",
    r"can\syou",
    r"would\syou",
    r"will\syou",
    r"do\syou",
    r"is\sit\spossible",
    r"please\slet\sme\sknow",
    r"könnten\ssie",
    r"können\ssie",
    r"kannst\sdu",
    r"wäre\ses\smöglich",
    r"haben\ssie",
    r"pourriez-vous",
    r"pouvez-vous",
    r"pourrais-tu",
    r"est-ce\sque",
    r"auriez-vous",
    r"podría",
    r"podrían",
    r"puede",
    r"pueden",
    r"potrebbe",
    r"potreste",
    r"può",
    r"potete",
)


def answer_in(text: str, offer: Offer | None) -> AnswerKind:
    """The kind of answer in ``text`` (the own text, normalised); "" when there is none."""
    head = lowered(text[:4000])
    if not head.strip():
        return ""
    has_price = offer is not None and (offer.value is not None or offer.low is not None)
    declines = _DECLINES.search(head) is not None  # read once: asked twice below
    if declines and not has_price:
        return "declines"
    if has_price and offer is not None and (offer.refused or _COUNTER.search(head)):
        return "counter"
    if _ACCEPTS.search(head):
        return "accepts"
    if declines:
        return "declines"
    if "?" in head or _ASKS.search(head):
        return "asks"
    return "other"
