"""``deputy try`` and the daemon cannot disagree: a corpus of events goes through the real
daemon (with a recording channel) and through ``try``'s dry run; outcome, rule, reasons,
what was blocked and the actions must match. The corpus includes what the old ``try``
misjudged as a stranger's mail: the verified owner's commands and our own echoes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.app import Deputy
from bot.config import load
from bot.events import Event
from bot.owner import OwnerProfile
from bot.rules.loader import load_rulebook
from bot.try_event import judge_dry
from connectors.email.parse import parse_message
from tests.core.conftest import RecordingChannel, make_home
from tests.core.helpers import mail

CORPUS_DIR = Path(__file__).resolve().parents[1] / "email" / "corpus"


def _owner(n: int, text: str) -> Event:
    return Event(
        id=f"cli:try-{n}",
        channel="cli",
        kind="owner_message",
        thread=f"cli-{n}",
        sender="owner",
        sender_verified_owner=True,
        received_at=datetime.now(UTC),
        text=text,
    )


def _corpus() -> list[Event]:
    events = [
        mail(sender="ap@acme-supplies.com", subject="Invoice 5", text="40 EUR, see attached"),
        mail(sender="billing@acme-supplies.com", subject="Invoice 6", headers={"Precedence": "bulk"}),
        mail(sender="carol@new.example", subject="Partnership?"),
        mail(sender="deputy@localhost", subject="Re: our own echo"),
        mail(sender="x@y.example", subject="Hello", headers={"Auto-Submitted": "auto-replied"}),
        _owner(1, "help"),
        _owner(2, "digest"),
        _owner(3, "please call bob tomorrow"),
    ]
    for path in sorted(CORPUS_DIR.glob("*.eml"))[:12]:
        parsed = parse_message(
            path.read_bytes(),
            connector="local",
            own_addresses=("deputy@localhost",),
            owner=OwnerProfile(emails=("alex@example.com",)),
            received_at=datetime.now(UTC),
        )
        if parsed.event is not None:
            events.append(parsed.event)
    return events


async def test_try_and_the_daemon_agree_on_a_corpus(tmp_path: Path) -> None:
    events = _corpus()
    settings = load(make_home(tmp_path / "home"))
    rulebook = load_rulebook(settings.rules_dir)
    tried = {}
    for n, event in enumerate(events):
        data = tmp_path / f"try-{n}"
        data.mkdir()
        trial = await judge_dry(settings, rulebook, event, data_dir=data)
        tried[event.id] = trial.finished

    channel = RecordingChannel()
    deputy = Deputy(settings, extra_connectors={"local": ("local", channel)})
    await deputy.start()
    try:
        for event in events:  # one at a time: each is judged on the same (empty) history as in try
            assert await deputy.emit(event)
            await deputy.drain()
        audit = {e.event_id: e for e in await deputy.store.audit.recent(limit=1000)}
    finally:
        await asyncio.wait_for(deputy.stop(), 30)

    assert len(tried) == len(events) >= 10
    for event in events:
        daemon, dry = audit[event.id], tried[event.id]
        seen = (daemon.outcome, daemon.rule, daemon.reasons, daemon.blocked, len(daemon.actions))
        dry_actions = len(dry.actions) if dry.actions else len(dry.descriptions)
        assert seen == (dry.outcome, dry.rule, dry.reasons, dry.blocked, dry_actions), event.id
    outcomes = {tried[e.id].outcome for e in events}
    assert {"handled", "escalated", "owner", "ignored"} <= outcomes, outcomes
