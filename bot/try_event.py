"""``deputy try``: what Deputy would do with a message, with no side effect at all.

Runs the daemon's own router, desks and judgment steps (``EventHandler``) against a
throw-away database, with a commit that writes nothing (``Commit(dry_run=True)``), and prints
the matching rules, the decision, and what would be done. The daemon and ``try`` cannot
disagree: they are the same code up to the commit.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.actions import action_to_dict
from bot.channels.registry import ChannelRegistry
from bot.config import Settings
from bot.effects.executor import Executor
from bot.events import Event
from bot.pipeline.commit import Commit, Finished
from bot.pipeline.router import Judge, Route
from bot.rules import load_rulebook
from bot.rules.model import Rulebook
from bot.store import Store


def _event_from_args(settings: Settings, args: argparse.Namespace, owner_emails: tuple[str, ...]) -> Event:
    own = tuple(a.lower() for a in settings.deputy.addresses)
    if args.file is not None:
        from bot.owner import OwnerProfile
        from connectors.email.parse import parse_message

        result = parse_message(
            args.file.read_bytes(),
            connector=args.channel,
            own_addresses=own,
            owner=OwnerProfile(emails=owner_emails),
            received_at=datetime.now(UTC),
        )
        if result.event is None:
            raise SystemExit(f"{args.file}: cannot be read: {result.quarantine_reason}")
        return result.event
    channel_type = "email" if args.channel in ("email", "local") else args.channel
    return Event(
        id=f"try:{args.channel}",
        channel=args.channel,
        kind="message",
        thread="try",
        sender=args.sender.lower(),
        received_at=datetime.now(UTC),
        subject=args.subject,
        text=args.text,
        recipients=(args.to or own[0],) if own else (),
        refs={"channel_type": channel_type},
    )


@dataclass(frozen=True, slots=True)
class Trial:
    route: Route
    finished: Finished


async def judge_dry(
    settings: Settings, rulebook: Rulebook, event: Event, *, data_dir: Path, role: Any = None
) -> Trial:
    """The daemon's handling of ``event``, committed to nothing (a store in ``data_dir``
    that is thrown away)."""
    from bot.pipeline.handler import EventHandler

    # The daemon's registry; an event from a channel the config does not name (a .eml
    # file, a --channel) is judged as its type's channel would judge it.
    extra: dict[str, tuple[str, None]] = {}
    registry = ChannelRegistry.from_settings(settings)
    if event.channel not in registry and event.refs.get("channel_type"):
        extra[event.channel] = (event.refs["channel_type"], None)
    channels = ChannelRegistry.from_settings(settings, extra=extra) if extra else registry
    store = Store(data_dir / "try.sqlite3")
    await store.open()
    try:
        executor = Executor(settings=settings, channels=channels)
        executor.role = role  # the department it would go to (bot/departments), if any
        commit = Commit(store=store, executor=executor, dry_run=True)
        handler = EventHandler(
            store=store, settings=settings, rulebook=lambda: rulebook, executor=executor, commit=commit
        )
        await store.inbox.add(event)
        (claimed,) = await store.inbox.claim(limit=1, busy_threads=set())
        route = await handler.route(claimed, rulebook)
        await handler.dispatch(claimed, rulebook, route, time.perf_counter())
    finally:
        await store.close()
    finished = commit.finished[-1] if commit.finished else Finished(event=event, outcome="none", reasons=())
    return Trial(route=route, finished=finished)


async def try_event(settings: Settings, args: argparse.Namespace) -> int:
    book = load_rulebook(settings.rules_dir)
    event = _event_from_args(settings, args, book.owner.emails)
    role = None
    if settings.departments:
        from bot.departments.build import department_rulebook

        role, book = department_rulebook(settings, event, book)
        print(f"department: {role.name}")
    with tempfile.TemporaryDirectory(prefix="deputy-try-") as tmp:
        trial = await judge_dry(settings, book, event, data_dir=Path(tmp), role=role)
    report = _report(trial)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    shown = trial.finished.event
    print(f"message: from {shown.sender} subject {shown.subject!r} on {shown.channel}")
    print(f"route: {report['route']}, outcome: {report['outcome']}")
    names = report["matching_rules"]
    print(f"matching rules: {', '.join(names) or 'none (Deputy would ask you)'}")
    if report["facts_summary"]:
        print(f"facts: {report['facts_summary']}")
    if report["no_reply_reason"]:
        print(f"no automatic reply: {report['no_reply_reason']}")
    for reason in report["decision"]["reasons"]:
        print(f"why: {reason}")
    for d in report["allowed"]:
        d = dict(d)
        kind = d.pop("type")
        detail = d.get("text") or d.get("question") or d.get("folder") or d.get("to") or d.get("reason") or ""
        print(f"would: {kind}: {str(detail)[:500]}")
    for d in report["blocked"]:
        print(f"blocked: {d['action']}: {d['why']}")
    return 0


def _report(trial: Trial) -> dict[str, Any]:
    route, done = trial.route, trial.finished
    event = done.event
    rules = route.rules if isinstance(route, Judge) else ()
    blocked, suppressed = [], []
    for line in done.blocked:
        kind, _, why = line.partition(": ")
        if why.startswith("suppressed, "):
            suppressed.append({"type": kind, "why": why})
        else:
            blocked.append({"action": kind, "why": why})
    decision = done.decision
    facts = done.facts if done.facts is not None else (route.facts if isinstance(route, Judge) else None)
    return {
        "event": {
            "from": event.sender,
            "subject": event.subject,
            "channel": event.channel,
            "owner": event.sender_verified_owner,
            "defects": list(event.defects),
        },
        "route": type(route).__name__,
        "outcome": done.outcome,
        "matching_rules": [r.name for r in rules],
        "governing_rule": rules[0].name if rules else None,
        "no_reply_reason": route.no_reply if isinstance(route, Judge) else None,
        "facts": facts.to_dict() if facts is not None else {},
        "facts_summary": facts.summary() if facts is not None else "",
        "decision": {
            "reasons": list(done.reasons),
            "actions": [action_to_dict(a) for a in decision.actions] if decision else [],
        },
        "allowed": [action_to_dict(a) for a in done.actions],
        "done": list(done.descriptions),
        "blocked": blocked,
        "suppressed_by_etiquette": suppressed,
    }
