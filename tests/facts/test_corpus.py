"""The facts of every corpus message (tests/facts/corpus.py), read by ``extract``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.events import Event
from bot.facts import Facts, extract
from tests.facts.corpus import CASES, Case

TODAY = date(2027, 3, 1)


def event_of(c: Case) -> Event:
    return Event(
        id=f"email:<{abs(hash(c.name))}@corpus>",
        channel="email",
        kind="message",
        thread="t",
        sender=c.sender,
        received_at=datetime(2027, 3, 1, 8, 0, tzinfo=UTC),
        subject=c.subject,
        text=c.text,
        headers=c.headers,
        refs=c.refs,
    )


def check(c: Case, facts: Facts) -> None:
    e = c.expect
    shown = f"{c.name}: {facts.to_dict()}"
    assert facts.auto == e.get("auto", ""), shown
    assert facts.payment.announces_change == e.get("change", False), shown
    if "due" in e:
        due = facts.amount_due
        assert due is not None, shown
        assert (due.value, due.currency) == (Decimal(e["due"][0]), e["due"][1]), shown
    for value, cur, role in e.get("amounts", ()):
        matches = [a for a in facts.amounts if a.value == Decimal(value) and a.currency == cur]
        assert matches, f"missing {value} {cur}: {shown}"
        if role is not None:
            assert any(a.role == role for a in matches), f"{value} {cur} not {role}: {shown}"
    if e.get("no_amounts"):
        assert facts.amounts == (), shown
    if "ibans" in e:
        assert list(facts.payment.ibans) == e["ibans"], shown
    for account in e.get("accounts", ()):
        assert account in facts.payment.accounts, shown
    if "payee" in e:
        assert facts.payment.payee == e["payee"], shown
    if "due_date" in e:
        expected = date.fromisoformat(e["due_date"]) if e["due_date"] else None
        assert facts.due_date == expected, shown
    if "refs" in e:
        if e["refs"]:
            for ref in e["refs"]:
                assert ref in facts.references, shown
        else:
            assert facts.references == (), shown
    if "offer" in e:
        _check_offer(e["offer"], facts, shown)
    if "answer" in e:
        assert facts.answer == e["answer"], shown
    if "lang" in e:
        assert facts.language == e["lang"], shown
    if "invite" in e:
        assert facts.invite is not None, shown
        for key, value in e["invite"].items():
            assert getattr(facts.invite, key) == value, shown


def _check_offer(expected: dict[str, object] | None, facts: Facts, shown: str) -> None:
    if expected is None:
        assert facts.offer is None, shown
        return
    offer = facts.offer
    assert offer is not None, shown
    for key in ("value", "low", "high"):
        if key in expected:
            want = expected[key]
            assert getattr(offer, key) == (None if want is None else Decimal(str(want))), shown
    if "refused" in expected:
        assert offer.refused == tuple(Decimal(str(r)) for r in expected["refused"]), shown  # type: ignore[attr-defined]
    for key in ("vat", "currency"):
        if key in expected:
            assert getattr(offer, key) == expected[key], shown
    if "text_has" in expected:
        assert str(expected["text_has"]) in offer.text, shown


def test_corpus_is_large_and_multilingual() -> None:
    assert len(CASES) >= 120
    names = {c.name.split()[0] for c in CASES}
    assert {"en", "de", "fr", "es", "it"} <= names


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_corpus_case(c: Case) -> None:
    check(c, extract(event_of(c), today=TODAY))


def test_facts_round_trip_through_json() -> None:
    for c in CASES:
        facts = extract(event_of(c), today=TODAY)
        assert Facts.from_dict(facts.to_dict()) == facts, c.name


def _two_walks(value: object) -> object:
    """Facts.to_dict as it was written first (dataclasses.asdict, then a pruning walk):
    the one-walk version must give the same dict."""
    from dataclasses import asdict, is_dataclass

    def prune(v: object) -> object:
        if isinstance(v, dict):
            out = {k: prune(x) for k, x in v.items()}
            return {k: x for k, x in out.items() if x not in ("", None, (), [], {}, False)}
        if isinstance(v, list | tuple):
            return [prune(x) for x in v]
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, date):
            return v.isoformat()
        return v

    assert is_dataclass(value) and not isinstance(value, type)
    return prune(asdict(value))


def test_facts_to_dict_is_the_pruned_asdict_for_every_case() -> None:
    for c in CASES:
        facts = extract(event_of(c), today=date(2027, 3, 1))
        expected = _two_walks(facts)
        assert isinstance(expected, dict)
        if facts.payment.changed is False:
            expected.setdefault("payment", {})["changed"] = False
        assert facts.to_dict() == expected, c.name
