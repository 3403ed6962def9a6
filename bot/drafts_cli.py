"""deputy drafts | send ID [--edit] | discard ID | examples | rules level NAME LEVEL

A send or discard is an owner's answer like ``deputy answer``: an event in the inbox
that the daemon carries out (through the gate, exactly once). ``--edit`` reads the new
text from standard input, exactly as given (``deputy send 7 --edit < reply.txt``).
"""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from bot.events import Event
from bot.store import Store

LEVELS = ("shadow", "draft", "auto")


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("drafts", parents=[common], help="drafts waiting for your Send, Edit or Discard")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("send", parents=[common], help="send draft ID (--edit: the text from stdin)")
    p.add_argument("id", type=int)
    p.add_argument("--edit", action="store_true", help="send the text read from standard input instead")
    p = sub.add_parser("discard", parents=[common], help="discard draft ID: nothing is sent")
    p.add_argument("id", type=int)
    p = sub.add_parser("examples", parents=[common], help="your edited drafts the model learns from")
    p.add_argument("--rule", default="", help="only this rule's")
    p.add_argument("--delete", type=int, metavar="ID", help="stop showing draft ID's edit to the model")


def add_rules_parsers(rules_sub: Any, common: argparse.ArgumentParser) -> None:
    q = rules_sub.add_parser("level", parents=[common], help="set rule NAME's autonomy level")
    q.add_argument("name")
    q.add_argument("level", choices=LEVELS)


async def run(store: Store, args: argparse.Namespace) -> int:
    if args.command == "drafts":
        return await _list(store, json_out=args.json)
    if args.command == "examples":
        return await _examples(store, rule=args.rule, delete=args.delete)
    draft = await store.drafts.get(args.id)
    esc = await store.escalations.get(args.id)
    if draft is None or esc is None:
        print(f"no draft #{args.id}", file=sys.stderr)
        return 1
    if draft.state != "open" or esc.state != "open":
        state = draft.state if draft.state != "open" else esc.state
        print(f"draft #{args.id} is already {state}", file=sys.stderr)
        return 1
    op = "discard" if args.command == "discard" else "edit" if args.edit else "send"
    text = sys.stdin.read() if op == "edit" else ""
    if op == "edit" and not text.strip():
        print("--edit: no text on standard input; nothing was changed", file=sys.stderr)
        return 1
    await store.inbox.add(
        Event(
            id=f"cli:draft:{uuid.uuid4().hex}",
            channel="cli",
            kind="owner_answer",
            thread=f"cli-{args.id}",
            sender="owner",
            sender_verified_owner=True,
            received_at=datetime.now(UTC),
            text=text or op,
            refs={"escalation_id": str(args.id), "draft_op": op, "draft_text": text},
        )
    )
    print(f"draft #{args.id}: {op} recorded; the daemon will carry it out.")
    return 0


async def _list(store: Store, *, json_out: bool) -> int:
    import json

    shown = []
    for d in await store.drafts.open():
        esc = await store.escalations.get(d.id)
        if esc is not None and esc.state == "open":
            shown.append(d)
    if json_out:
        rows = [{"id": d.id, "rule": d.rule, "to": list(d.recipients), "text": d.text} for d in shown]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not shown:
        print("No drafts are waiting for you.")
    for d in shown:
        print(f"#{d.id}  rule {d.rule}, to {', '.join(d.recipients) or '(none)'}:")
        print("\n".join("     | " + line for line in d.text.splitlines() or [""]))
        print(f"     deputy send {d.id} | deputy send {d.id} --edit < text | deputy discard {d.id}")
    return 0


async def _examples(store: Store, *, rule: str, delete: int | None) -> int:
    if delete is not None:
        if await store.drafts.forget_example(delete):
            print(f"example #{delete} deleted: the model no longer sees it")
            return 0
        print(f"no example #{delete}", file=sys.stderr)
        return 1
    found = await store.drafts.examples(rule=rule)
    if not found:
        print("No examples yet: they are the drafts you edit before sending.")
    for d in found:
        print(f"#{d.id}  rule {d.rule}, {d.changed:.0%} changed (deputy examples --delete {d.id})")
        print("\n".join("     draft | " + line for line in d.text.splitlines() or [""]))
        print("\n".join("      sent | " + line for line in d.final_text.splitlines() or [""]))
    return 0


async def set_level(store: Store, name: str, level: str) -> int:
    """The owner's confirmation of a level (a raise to auto needs exactly this)."""
    from bot.store import RuleLedger

    async with store.db.transaction() as tx:
        await RuleLedger.set_level_in(tx, name, level)
    print(f"rule {name}: autonomy {level}")
    return 0


def level_line(rule: Any, settings: Any, record: Any) -> str:
    """``autonomy draft (set by you; file: auto): 3 sent unchanged, ...`` for ``deputy rules``."""
    own = rule.header.autonomy or settings.autonomy.default
    if record is not None and record.level:
        line = f"autonomy {record.level} (set in Deputy; the file says {own})"
    else:
        line = f"autonomy {own}" + ("" if rule.header.autonomy else " (config default)")
    if record is not None:
        line += f": {record.summary()}"
        if record.proposed:
            line += f"; proposed for auto (deputy rules level {rule.name} auto)"
    return line
