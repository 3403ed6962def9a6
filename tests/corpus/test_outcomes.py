"""Issue #15, "How we will know": every corpus message (tests/corpus/messages.py) goes
through the real parser and the real daemon on the shipped rulebook, and must give
the facts and the outcome written beside it. Run with ``-s`` for the summary table.

A case whose expectation the current code does not meet carries ``wrong=`` and is a
strict xfail: the expectation is never bent to the behaviour, and a fix turns the
xfail into a failure that asks for the note to be removed."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from tests.corpus.build import Case
from tests.corpus.harness import Outcome, run_corpus
from tests.corpus.messages import CASES

LANGUAGES_SEEN = ("-en", "-de", "-fr", "-es", "-it")


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    """One daemon run for the whole corpus (about a second)."""
    return run_corpus(CASES)


def _label(does: frozenset[str]) -> str:
    return "+".join(sorted(does)) or "nothing"


def _check(c: Case, got: Outcome) -> None:
    shown = f"{c.name}: rule={got.rule!r} does={_label(got.does)} audit={got.audit} reasons={got.reasons}"
    assert got.rule == c.rule, shown
    assert got.does == c.does, shown
    facts = got.facts
    e = c.facts
    if not e:
        return
    assert facts is not None, shown
    shown += f" facts={facts.summary()!r}"
    if "due" in e:
        due = facts.amount_due
        if e["due"] is None:
            assert due is None, shown
        else:
            assert due is not None, shown
            assert (due.value, due.currency) == (Decimal(e["due"][0]), e["due"][1]), shown
    assert facts.payment.announces_change == e.get("change", False), shown
    if "changed" in e:
        assert facts.payment.changed is e["changed"], shown
    assert facts.auto == e.get("auto", ""), shown
    if "offer" in e:
        if e["offer"] is None:
            assert facts.offer is None or facts.offer.value is None, shown
        else:
            assert facts.offer is not None and facts.offer.value == Decimal(str(e["offer"])), shown
    if "invite" in e:
        assert facts.invite is not None and facts.invite.method == e["invite"], shown


def _params() -> list[object]:
    return [
        pytest.param(c, id=c.name, marks=pytest.mark.xfail(strict=True, reason=c.wrong) if c.wrong else ())
        for c in CASES
    ]


@pytest.mark.parametrize("c", _params())
def test_outcome(c: Case, outcomes: dict[str, Outcome]) -> None:
    _check(c, outcomes[c.name])


def test_never_a_payment_promise_that_needs_asking(outcomes: dict[str, Outcome]) -> None:
    """Whatever else is wrong, a message that must go to the owner (above the limit, new
    bank details, another currency) is never answered "will be paid"; automatic mail is
    never answered at all."""
    for c in CASES:
        got = outcomes[c.name]
        if "ask" in c.does or c.facts.get("change") or c.facts.get("changed"):
            assert not any("paid" in r for r in got.replies), f"{c.name}: {got.replies}"
        if c.facts.get("auto"):
            assert "reply" not in got.does, f"{c.name}: {got.replies}"


def test_corpus_shape() -> None:
    """The corpus stays as wide as issue #15 asks."""
    assert len(CASES) >= 110
    assert len({c.name for c in CASES}) == len(CASES)
    names = " ".join(c.name for c in CASES)
    assert all(lang in names for lang in LANGUAGES_SEEN)
    categories = Counter(c.category for c in CASES)
    assert len(categories) >= 12, categories


def test_summary_table(outcomes: dict[str, Outcome]) -> None:
    """Printed with ``-s``: counts by category and outcome, and the agreement figures."""
    table: dict[str, Counter[str]] = {}
    for c in CASES:
        table.setdefault(c.category, Counter())[_label(outcomes[c.name].does)] += 1
    columns = sorted({col for row in table.values() for col in row})
    width = max(len(k) for k in table) + 2
    lines = ["", f"{'category':<{width}}" + "".join(f"{col:>14}" for col in columns) + f"{'total':>8}"]
    for category, row in table.items():
        cells = "".join(f"{row.get(col, 0) or '.':>14}" for col in columns)
        lines.append(f"{category:<{width}}{cells}{sum(row.values()):>8}")
    totals = Counter(_label(o.does) for o in outcomes.values())
    lines.append(
        f"{'all':<{width}}" + "".join(f"{totals.get(col, 0):>14}" for col in columns) + f"{len(CASES):>8}"
    )
    agree = [c for c in CASES if outcomes[c.name].rule == c.rule and outcomes[c.name].does == c.does]
    wrong = [c for c in CASES if c.wrong]
    lines.append(
        f"\n{len(CASES)} messages, {len(agree)} as expected ({len(agree) / len(CASES):.0%}),"
        f" {len(wrong)} known wrong (xfail):"
    )
    lines += [f"  - {c.name}: {c.wrong}" for c in wrong]
    print("\n".join(lines))
    assert len(agree) + len(wrong) >= len(CASES)
