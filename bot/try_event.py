"""``deputy try``: what Deputy would do with a message, with no side effect at all.

Runs the same router, agent and policy gate as the daemon, against an in-memory
database, and prints the matching rules, the decision, and what the gate allows.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime

from bot.actions import Decision, action_to_dict
from bot.agent.base import AgentContext
from bot.agent.rules_only import RulesOnlyAgent
from bot.config import Settings
from bot.etiquette import no_reply_reason
from bot.events import Event
from bot.policy import GateContext, PolicyGate
from bot.rules import load_rulebook
from bot.rules.matcher import select


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


async def try_event(settings: Settings, args: argparse.Namespace) -> int:
    book = load_rulebook(settings.rules_dir)
    event = _event_from_args(settings, args, book.owner.emails)
    rules = select(book, event, today=date.today())
    no_reply = no_reply_reason(
        event,
        our_addresses=frozenset(a.lower() for a in settings.deputy.addresses) | frozenset(book.owner.emails),
    )
    ctx = AgentContext(event=event, rules=tuple(rules), rulebook=book)
    agent = RulesOnlyAgent()
    decision: Decision = await agent.decide(ctx)
    gate = PolicyGate().check(
        decision,
        GateContext(
            event=event,
            rule=rules[0] if rules else None,
            participants=event.participants,
            thread_text=event.text,
            replies_per_thread_cap=settings.limits.replies_per_thread,
        ),
    )
    allowed = list(gate.allowed)
    suppressed = []
    if no_reply:
        suppressed = [a for a in allowed if type(a).__name__ in ("Reply", "Offer")]
        allowed = [a for a in allowed if a not in suppressed]
    report = {
        "event": {
            "from": event.sender,
            "subject": event.subject,
            "channel": event.channel,
            "owner": event.sender_verified_owner,
            "defects": list(event.defects),
        },
        "matching_rules": [r.name for r in rules],
        "governing_rule": rules[0].name if rules else None,
        "no_reply_reason": no_reply,
        "decision": {
            "reasons": list(decision.reasons),
            "actions": [action_to_dict(a) for a in decision.actions],
        },
        "allowed": [action_to_dict(a) for a in allowed],
        "blocked": [{"action": action_to_dict(a), "why": why} for a, why in gate.blocked],
        "suppressed_by_etiquette": [action_to_dict(a) for a in suppressed],
    }
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    print(f"message: from {event.sender} subject {event.subject!r} on {event.channel}")
    names = [r.name for r in rules]
    print(f"matching rules: {', '.join(names) or 'none (Deputy would ask you)'}")
    if no_reply:
        print(f"no automatic reply: {no_reply}")
    for reason in decision.reasons:
        print(f"why: {reason}")
    for action in allowed:
        d = action_to_dict(action)
        kind = d.pop("type")
        detail = d.get("text") or d.get("question") or d.get("folder") or d.get("to") or d.get("reason") or ""
        print(f"would: {kind}: {str(detail)[:500]}")
    for action, why in gate.blocked:
        print(f"blocked: {type(action).__name__}: {why}")
    return 0
