"""Every corpus message becomes an Event or a quarantine reason; nothing raises."""

from __future__ import annotations

from pathlib import Path

import pytest
from email_helpers import parse

from bot.events import Event

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.eml"))


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 100


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_message_never_raises(path: Path) -> None:
    result = parse(path.read_bytes(), owner_plus_secret="corpus-secret-1")
    if result.event is None:
        assert result.quarantine_reason
        return
    event = result.event
    assert event.id.startswith("email:<") and event.thread
    # What the inbox persists must survive a JSON round trip and be valid UTF-8.
    assert Event.from_json(event.to_json()) == event
    event.to_json().encode("utf-8")
    assert not event.sender_verified_owner
    for att in event.attachments:
        assert att.part_id and att.size >= 0


def test_expected_quarantines() -> None:
    wanted = {"empty", "mp_nested_300_quarantine", "mp_flat_1000_parts", "mp_nested_50"}
    by_name = {p.stem: parse(p.read_bytes()) for p in CORPUS if p.stem in wanted}
    assert by_name["empty"].event is None
    deep = by_name["mp_nested_300_quarantine"].event  # kept now: cut before the parser recursed
    assert deep is not None and any("nesting deeper" in d for d in deep.defects)
    assert by_name["mp_flat_1000_parts"].event is not None
    assert any("more than 200" in d for d in by_name["mp_flat_1000_parts"].event.defects)
    nested = by_name["mp_nested_50"].event
    assert nested is not None and any("nesting" in d for d in nested.defects)
