"""The pre-checks before the costliest regexes (the gate's, the automatic-mail marker,
the payment-change reader) skip only what could not match.

Three ways to be sure: the skeleton folds case exactly as ``re.IGNORECASE`` does, over
every code point; every alternative of a guarded regex has an example that matches it
and passes its pre-check; and over every string literal of the gate, red-team and corpus
tests (thousands of realistic and hostile texts) a text that the regex matches is never
one the pre-check skips.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from bot import automatic
from bot.facts import currency, dates, payment
from bot.facts import text as facts_text
from bot.facts.text import lowered, normalise
from bot.gate import commitments, textscan
from bot.gate.commitments import ACCEPT_NEEDLES, ACCEPT_RE, EXPLICIT_DATE_RE, may_name_a_date
from bot.needles import may_match, skeleton

TESTS = Path(__file__).resolve().parents[1]
SOURCES = [
    TESTS / "gate" / "test_commitments.py",
    TESTS / "gate" / "test_benign.py",
    TESTS / "redteam" / "cases.py",
    TESTS / "corpus" / "messages.py",
    TESTS / "facts" / "corpus.py",
    TESTS / "facts" / "test_readers.py",
    TESTS / "redteam" / "test_attacks.py",
]

# One example per alternative of ACCEPT_RE, in its order.
ACCEPT_EXAMPLES = [
    "It's a deal.",
    "OK, deal!",
    "Deal done.",
    "Agreed, thank you.",
    "We will go ahead with your quote.",
    "We gladly take your offer.",
    "I accept.",
    "Your offer is accepted.",
    "Sounds good, let's proceed.",
    "Let's do it.",
    "You have yourself a deal.",
    "Einverstanden.",
    "Wir akzeptieren das Angebot.",
    "Wir nehmen Ihr Angebot.",
    "Wir stimmen zu.",
    "Ich stimme zu.",
    "D'accord.",
    "Nous acceptons.",
    "Marché conclu.",
    "Votre devis est accepté.",
    "C'est entendu.",
    "C'est bon pour nous.",
    "C'est ok.",
    "De acuerdo.",
    "Trato hecho.",
    "Accettiamo.",
    "D'accordo.",
    "ok deal",
]

# One example per alternative of bot.automatic's body marker, in its order.
AUTO_BODY_EXAMPLES = [
    "This is an automatically generated message.",
    "Out of office: back on Monday",
    "Dies ist eine automatische Antwort.",
    "Abwesenheitsnotiz\nIch bin nicht im Haus",
    "Ceci est une réponse automatique.",
    "Réponse automatique : absente",
    "Este es un mensaje automático.",
    "Questo è un messaggio automatico.",
    "Dit is een automatisch antwoord.",
    "OUT OF OFFICE: zurück am 3.",
    "\u0130 am away.\nAUTOMATIC REPLY: back soon",
]

# One example per alternative of the payment-change reader, in its order.
CHANGE_EXAMPLES = [
    "Please note our new bank details.",
    "Here is our new IBAN.",
    "Please use the new account from today.",
    "Payments to our old account will bounce.",
    "Our bank details have changed.",
    "We have switched our bank.",
    "Kindly amend the remittance details.",
    "Please update your records.",
    "We no longer use this account.",
    "Unsere neue Bankverbindung lautet:",
    "Bitte beachten Sie die geänderte Kontoverbindung.",
    "Unsere Bankverbindung hat sich geändert.",
    "Wir haben das Konto gewechselt.",
    "Voici nos nouvelles coordonnées bancaires.",
    "Voici notre nouveau RIB.",
    "Changement de banque à partir du 1er mars.",
    "Notre RIB a changé.",
    "Estos son nuestros nuevos datos bancarios.",
    "Hemos cambiado de banco.",
    "Ecco il nuovo IBAN.",
    "Le coordinate bancarie sono cambiate.",
]

# Case forms that re.IGNORECASE reads as ASCII letters although str.lower() does not.
TRICKY = [
    "\u0130t's a deal",  # İ
    "we t\u0131ke it",  # dotless ı: not a needle word, must not crash anything
    "\u017founds good, let's go",  # long s
    "ACCEPTED",
    "einver\u017ftanden",
    "DEAL",
    "3 M\u00c4RZ 2026",
    "7 D\u00c9CEMBRE",
    "Pay by 7 March",
    "2026-03-07",
    "\u0661\u0662 march",  # Arabic-Indic digits are \d too
]


def _literals() -> list[str]:
    out: list[str] = []
    for path in SOURCES:
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) >= 3:
                out.append(node.value)
    return out


TEXTS = _literals() + ACCEPT_EXAMPLES + TRICKY


def test_the_skeleton_folds_case_as_re_ignorecase_does_for_every_code_point() -> None:
    groups = (
        *ACCEPT_NEEDLES,
        *commitments.DATE_NEEDLES,
        *textscan._EXTRA_NEEDLES,
        *dates._MONTH_NEEDLES,
        *dates._RELATIVE_NEEDLES,
        *currency._WORD_NEEDLES,
        *automatic.BODY_NEEDLES,
    )
    letters = sorted({ch for group in groups for needle in group for ch in needle})
    cased = re.compile("(?i)[" + re.escape("".join(letters)) + "]")
    checked = 0
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        if 0xD800 <= code <= 0xDFFF or not cased.fullmatch(ch):
            continue
        folded = skeleton(ch)
        for letter in letters:
            if re.fullmatch("(?i)" + re.escape(letter), ch):
                checked += 1
                assert letter in folded, (hex(code), letter, folded)
    assert checked > len(letters)  # every needle character matches itself, letters their upper case too
    assert "s" in skeleton("\u017f") and "i" in skeleton("\u0130") and "k" in skeleton("\u212a")


@pytest.mark.parametrize("text", ACCEPT_EXAMPLES)
def test_every_alternative_of_the_acceptance_regex_has_a_needle(text: str) -> None:
    view = text.replace("\u2019", "'")
    assert ACCEPT_RE.search(view), text
    assert may_match(ACCEPT_NEEDLES, skeleton(view)), text


def test_the_acceptance_pre_check_never_skips_a_text_the_regex_matches() -> None:
    matched = 0
    for text in TEXTS:
        view = commitments.fold(text).replace("\u2019", "'")
        if ACCEPT_RE.search(view):
            matched += 1
            assert may_match(ACCEPT_NEEDLES, skeleton(view)), text
    assert matched >= len(ACCEPT_EXAMPLES)
    assert len(TEXTS) > 1000  # the corpora are there: this is not a check of nothing


def test_the_date_pre_check_never_skips_a_text_the_regex_matches() -> None:
    matched = skipped = 0
    for text in TEXTS:
        for view in (text, commitments.fold(text)):
            if EXPLICIT_DATE_RE.search(view):
                matched += 1
                assert may_name_a_date(view), text
            elif not may_name_a_date(view):
                skipped += 1
    assert matched > 20 and skipped > 100


def test_without_dates_and_promises_read_as_before_on_every_text() -> None:
    """The guarded functions against the unguarded regexes, over every text."""
    for text in TEXTS:
        blanked = EXPLICIT_DATE_RE.sub(lambda m: " " * len(m[0]), text)
        assert commitments.without_dates(text) == blanked, text
        view = commitments.fold(text).replace("\u2019", "'")
        accepts = [
            m[0].strip() for m in ACCEPT_RE.finditer(view) if not commitments._negated(view, m.start())
        ]
        found = [p.words for p in commitments.promises_in(text, year=2026) if p.kind == "accept"]
        assert found == accepts, text


def _refang_unguarded(text: str) -> str:
    """bot.gate.normalize.refang as it was before its pre-checks: every pattern, always."""
    from bot.gate import normalize as n

    text = n._HXXP.sub(lambda m: "http" + m[1], text)
    text = n._BRACKET_COLON.sub(lambda m: m[1], text)
    text = n._SCHEME_GAP.sub(lambda m: m[1] + "://", text)
    defanged_dot = bool(n._BRACKET_DOT.search(text) or n._WORD_DOT.search(text) or n._CJK_DOT.search(text))
    text = n._CJK_DOT.sub(".", text)
    text = n._BRACKET_DOT.sub(".", text)
    text = n._BRACKET_AT.sub("@", text)
    text = n._WORD_DOT.sub(".", text)

    def at(m: re.Match[str]) -> str:
        if defanged_dot or n._MAILBOXY.search(m["local"]):
            return f"{m['local']}@{m['domain']}"
        return m[0]

    return n._WORD_AT.sub(at, text)


DEFANGED = [
    "hxxps[:]//evil[.]net/pay",
    "HXXP://evil(.)com",
    "h**p://x.y",
    "hTTp : / / evil.net",
    "alice [at] evil [dot] net",
    "alice(at)evil{.}net",
    "alice at evil dot net",
    "bob.smith at evil.net",
    "meet at acme.com",
    "pay at evil Punkt de",
    "write to a\u200blice\uff20evil\u3002net",
    "<dot> and [ . ] and ( ät )",
    "ftp : // files.example",
    "see [:] here",
    "Tom AT example.org",
]


def test_refang_with_pre_checks_reads_every_text_as_without_them() -> None:
    from bot.gate.normalize import fold, refang

    for text in [*TEXTS, *DEFANGED]:
        for view in (text, fold(text)):
            assert refang(view) == _refang_unguarded(view), view
    assert refang("alice [at] evil [dot] net") == "alice@evil.net"  # the reference is not a no-op


GUARDED = [
    "within 14 days",
    "net 30",
    "Zahlbar innerhalb von 14 Tagen",
    "dans un délai de 30 jours",
    "en un plazo de 30 días",
    "entro 10 giorni",
    "30 Tage netto",
    "payable by 15.03.2027",
    "fällig am 3. März 2027",
    "due March 3rd",
    "DUE 3 MÄRZ",
    "0.5 BTC",
    "₹20,000",
    "¥50,000",
    "100 KR",
    "50 ZŁ",
    "2 ETH",
    "US$ 180",
    "1000 円",
    "nine hundred EUROS",
    "neunhundert Euro",
    "cinq cents DÓLARES",
    "200 Franken",
    "five hundred quid or 5 BUCKS",
]


def test_the_date_and_currency_pre_checks_never_skip_a_match() -> None:
    """bot.facts.dates and the gate's extra currencies: wherever a pre-check says "cannot",
    the pattern it guards finds nothing, in every text as the readers see it."""
    hits = 0
    for text in [*TEXTS, *GUARDED]:
        for view in (text, normalise(text), textscan.money_view(text)):
            if not dates._may_be_relative(view):
                assert dates._RELATIVE.search(view) is None, view
            else:
                hits += dates._RELATIVE.search(view) is not None
            if dates._DIGIT.search(view) is None or not may_match(dates._MONTH_NEEDLES, skeleton(view)):
                assert dates._DAY_MONTH.search(view) is None and dates._MONTH_DAY.search(view) is None, view
            if not ("." in view or "/" in view or "-" in view):
                assert dates._NUMERIC.search(view) is None, view
            if not currency.may_mention(view):
                assert currency.WORD_RE.search(view) is None, view
            else:
                hits += currency.WORD_RE.search(view) is not None
            if not textscan._may_name_extra(view):
                assert textscan._EXTRA_RE.search(view) is None, view
            else:
                hits += textscan._EXTRA_RE.search(view) is not None
    assert hits > len(GUARDED)


def test_a_long_text_is_never_skipped() -> None:
    """Past CHECK_LIMIT the checks say "may" without looking (their passes would cost
    what the regex saves): a long text always gets the full scan."""
    from bot.needles import CHECK_LIMIT

    long = "x" * (CHECK_LIMIT + 1)
    assert may_match(ACCEPT_NEEDLES, skeleton(long))
    assert currency.may_mention(long)
    assert not may_match(ACCEPT_NEEDLES, skeleton("x" * CHECK_LIMIT))


def test_the_hand_written_needles_still_describe_their_patterns() -> None:
    """ACCEPT_NEEDLES and the relative-date needles were read off their patterns by hand:
    a pattern that gains an alternative must gain a needle (and an example) too. The
    refang words and the month and currency needles are derived from their patterns."""
    import re._parser as sre_parse

    def branches(pattern: re.Pattern[str]) -> int:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
        return sum(len(av[1]) for op, av in tree if str(op) == "BRANCH")

    assert branches(ACCEPT_RE) == 28, "ACCEPT_RE changed: update ACCEPT_NEEDLES and ACCEPT_EXAMPLES"
    assert branches(dates._RELATIVE) == 4, "_RELATIVE changed: update _RELATIVE_NEEDLES"
    from bot.gate import normalize

    assert "punkt" in normalize._DOT_WORDS and "chez" in normalize._AT_WORDS


@pytest.mark.parametrize("text", AUTO_BODY_EXAMPLES)
def test_every_alternative_of_the_automatic_body_marker_has_a_needle(text: str) -> None:
    assert automatic._BODY.search(text), text
    assert may_match(automatic.BODY_NEEDLES, skeleton(text)), text


def test_the_automatic_body_pre_check_never_skips_a_text_the_regex_matches() -> None:
    matched = skipped = 0
    for text in [*TEXTS, *AUTO_BODY_EXAMPLES, *TRICKY]:
        top = text[:600]
        if automatic._BODY.search(top):
            matched += 1
            assert may_match(automatic.BODY_NEEDLES, skeleton(top)), text
        elif not may_match(automatic.BODY_NEEDLES, skeleton(top)):
            skipped += 1
    assert matched > len(AUTO_BODY_EXAMPLES) and skipped > 100


@pytest.mark.parametrize("text", CHANGE_EXAMPLES)
def test_every_alternative_of_the_payment_change_reader_has_a_needle(text: str) -> None:
    low = lowered(text)
    assert payment._CHANGE.search(low), text
    assert any(needle in low for needle in payment.CHANGE_NEEDLES), text
    assert payment.announces_change(text), text


def test_the_payment_change_pre_check_never_skips_a_text_the_regex_matches() -> None:
    matched = skipped = 0
    for text in [*TEXTS, *CHANGE_EXAMPLES, *TRICKY]:
        low = lowered(normalise(text, limit=100_000))
        if payment._CHANGE.search(low):
            matched += 1
            assert any(needle in low for needle in payment.CHANGE_NEEDLES), text
        elif not any(needle in low for needle in payment.CHANGE_NEEDLES):
            skipped += 1
    assert matched > len(CHANGE_EXAMPLES) and skipped > 100


# One example per alternative of the quoted-history patterns (bot.facts.text).
HISTORY_EXAMPLES = [
    "On Mon, 3 Mar 2027 at 10:00, Bob <bob@example.com> wrote:",
    "Am 03.03.2027 um 10:00 schrieb Bob <bob@example.com>:",
    "Le 3 mars 2027 à 10:00, Bob a écrit :",
    "El 3 mar 2027, Bob escribió:",
    "Il 3 mar 2027, Bob ha scritto:",
    "Op 3 mrt. 2027 schreef Bob:",
    "Bob Smith wrote:",
    "-----Original Message-----",
    "---------- Forwarded message ---------",
    "Begin forwarded message:",
    "Anfang der weitergeleiteten Nachricht:",
    "Début du message réexpédié :",
    "________________________________",
    "From: Bob <bob@example.com>",
]


def test_the_history_patterns_read_only_lines_that_hold_a_colon_or_a_rule() -> None:
    """own_text skips the patterns on a line without ":" (or "--", "____" for a separator)."""
    matched = 0
    for text in [*TEXTS, *HISTORY_EXAMPLES]:
        for line in normalise(text).split("\n"):
            for pattern in (facts_text._ATTRIBUTION, facts_text._BLOCK_FROM):
                if pattern.match(line):
                    matched += 1
                    assert ":" in line, line
            if facts_text._SEPARATOR.match(line):
                matched += 1
                assert ":" in line or "--" in line or "_" * 20 in line, line
    assert matched > len(HISTORY_EXAMPLES)
