"""A guess at the language of a message, from a tiny stop-word count.

Enough to pick the vocabulary for amounts in words and to answer in the sender's
language; not a classifier. Unsure (too few words, or a near tie) is "".
"""

from __future__ import annotations

from bot.first_char import guarded


def _words(line: str) -> frozenset[str]:
    return frozenset(line.split())


STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and of to is you for that with are this we be have it your will please our dear regards thanks"
    ),
    "de": _words(
        "der die das und ist nicht sie wir ich mit für auf den ein eine zu bitte ihre uns sehr anbei"
    ),
    "fr": _words(
        "le la les et est vous nous des pour une pas que qui dans avec sur votre merci au du bonjour"
    ),
    "es": _words("el la los las y es usted nosotros para una que por con su gracias del muy está estimado"),
    "it": _words(
        "il lo la gli le e è non per una che con sono della grazie siamo vostro del gentile cordiali in"
    ),
    "nl": _words("de het een en is niet ik wij je voor met op van dat zijn u graag bedankt"),
}
_WORD = guarded(r"[a-zà-ÿ']+")
# Each stop word with the languages that have it ("la": fr, es, it): one look-up a word.
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _lang, _stop in STOP_WORDS.items():
    for _word in _stop:
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _lang)


def language_of(text: str) -> str:
    """ISO 639-1 code of the likeliest language of ``text``, or ""."""
    counts = dict.fromkeys(STOP_WORDS, 0)
    languages_of = _LANGUAGES_OF
    for word in _WORD.findall(text[:5000].lower()):
        for lang in languages_of.get(word, ()):
            counts[lang] += 1
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < 2 or top <= second:
        return ""
    return best
