"""``deputy try --since DATE [--until DATE]``: what the rules as they are now would have
done with the mail already received, beside what was done, with no side effect.

Each stored message is judged again by the daemon's own code with a commit that writes
nothing (``bot.try_event.judge_dry``, each in a throw-away store: the thread's history
and the send budgets of the time are not replayed). Only the messages whose rule,
outcome or kinds of action differ are listed; the rest are counted.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.actions import action_name
from bot.config import Settings
from bot.errors import ConfigError
from bot.events import Event
from bot.rules import Rulebook, load_rulebook
from bot.store import AuditEntry, Store
from bot.try_event import judge_dry

# The first word of an executor's description -> the action it describes.
_DESCRIBED = {"asked": "escalate", "told": "notify", "follow": "follow_up", "forward": "forward"}


@dataclass(frozen=True, slots=True)
class Difference:
    event_id: str
    sender: str
    subject: str
    then: str
    now: str


def parse_day(value: str, *, key: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise ConfigError(f"deputy try {key}: expected a date like 2026-11-30, got {value!r}") from None


def _then(entry: AuditEntry | None) -> str:
    if entry is None:
        return "(not decided yet)"
    kinds = sorted({_DESCRIBED.get(d.split(" ", 1)[0], d.split(" ", 1)[0]) for d in entry.actions if d})
    return f"{entry.outcome} by {entry.rule or 'no rule'}: {', '.join(kinds) or 'nothing'}"


async def compare(
    settings: Settings, book: Rulebook, events: list[Event], decided: dict[str, AuditEntry]
) -> list[Difference]:
    """The stored ``events`` judged again by ``book``, beside what was ``decided`` when
    they arrived: the ones handled differently (also the console's Rules page)."""
    differences: list[Difference] = []
    for event in events:
        with tempfile.TemporaryDirectory(prefix="deputy-try-") as tmp:
            trial = await judge_dry(settings, book, event, data_dir=Path(tmp))
        done = trial.finished
        kinds = sorted({action_name(a) for a in done.actions})
        now = f"{done.outcome} by {done.rule or 'no rule'}: {', '.join(kinds) or 'nothing'}"
        then = _then(decided.get(event.id))
        if now != then:
            differences.append(Difference(event.id, event.sender, event.subject, then, now))
    return differences


async def try_range(settings: Settings, args: argparse.Namespace) -> int:
    since = parse_day(args.since, key="--since")
    until = parse_day(args.until, key="--until") + timedelta(days=1) if args.until else datetime.now(UTC)
    book = load_rulebook(settings.rules_dir)
    store = Store(settings.db_path, create=False)
    await store.open()
    try:
        events = await store.inbox.messages_between(since.timestamp(), until.timestamp())
        decided = await store.audit.first_of([e.id for e in events])
    finally:
        await store.close()
    differences = await compare(settings, book, events, decided)
    if args.json:
        rows = [d.__dict__ for d in differences]
        print(json.dumps({"messages": len(events), "different": rows}, indent=2, ensure_ascii=False))
        return 0
    same = len(events) - len(differences)
    last = (until - timedelta(seconds=1)).date()
    print(f"{len(events)} messages from {since.date()} to {last}: ", end="")
    print(f"{len(differences)} would be handled differently now, {same} the same.")
    for d in differences:
        print(f"{d.sender}: {d.subject or '(no subject)'}")
        print(f"      then: {d.then}")
        print(f"      now:  {d.now}")
    return 0
