"""deputy run | status | check | try | inbox | answer | log | memory | digest | rules | task add | tasks
| console | drafts | send | discard | examples (bot/drafts_cli.py) | pause | resume | pending
| undo | task cancel | task pause | task resume (bot/owner_cli.py)

Every command takes ``--config PATH`` (default ./config.toml). Commands other than
``run`` work beside a running daemon: SQLite in WAL mode lets them read, and an answer
is just a new event in the inbox that the daemon picks up.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import drafts_cli, event_loop, owner_cli
from bot.config import Settings, load
from bot.errors import AlreadyRunning, ConfigError, StartupError
from bot.events import Event


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deputy", description="Your deputy for email, Telegram and Slack.")
    parser.add_argument("--version", action="version", version=f"deputy {_version()}")
    # --config before or after the subcommand; SUPPRESS keeps a value given before it.
    parser.add_argument(
        "--config", type=Path, default=Path("config.toml"), help="config file (default ./config.toml)"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="config file")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", parents=[common], help="run the daemon until SIGINT/SIGTERM")
    sub.add_parser("status", parents=[common], help="is the daemon running, and is every part of it working")
    sub.add_parser("check", parents=[common], help="validate config and rules")
    p = sub.add_parser("try", parents=[common], help="show what Deputy would do, with no side effect")
    p.add_argument("file", nargs="?", type=Path, help="a message as .eml")
    p.add_argument("--text", default="", help="message text (instead of a file)")
    p.add_argument("--from", dest="sender", default="someone@example.com")
    p.add_argument("--subject", default="")
    p.add_argument("--to", default="", help="recipient address (default: Deputy's first address)")
    p.add_argument("--channel", default="email")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--since", default="", help="the stored mail from this day (YYYY-MM-DD) instead")
    p.add_argument("--until", default="", help="with --since: up to and including this day")
    p = sub.add_parser("inbox", parents=[common], help="questions waiting for the owner")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("answer", parents=[common], help="answer question ID (a number picks an option)")
    p.add_argument("id", type=int)
    p.add_argument("text", nargs="+")
    p = sub.add_parser("log", parents=[common], help="recent decisions and why")
    p.add_argument("-n", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("memory", parents=[common], help="what Deputy remembers; --forget ID to correct")
    p.add_argument("--forget", type=int)
    sub.add_parser("digest", parents=[common], help="preview today's digest")
    p = sub.add_parser("rules", parents=[common], help="list the rules in evaluation order")
    # ----- learned rules (bot/rules/learned.py) -----
    # --config also after the subcommand; SUPPRESS keeps a value given before it.
    sub_common = argparse.ArgumentParser(add_help=False)
    sub_common.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="config file")
    rules_sub = p.add_subparsers(dest="rules_command")
    rules_sub.add_parser("learned", parents=[sub_common], help="learned rules with their source and state")
    q = rules_sub.add_parser("confirm", parents=[sub_common], help="activate proposed learned rule ID")
    q.add_argument("id", type=int)
    q = rules_sub.add_parser("rollback", parents=[sub_common], help="deactivate learned rule ID")
    q.add_argument("id", type=int)
    drafts_cli.add_rules_parsers(rules_sub, sub_common)
    drafts_cli.add_parsers(sub, common)
    # ----- tasks (issue 7: bot/tasks/model.py) -----
    p = sub.add_parser("task", parents=[common], help="give Deputy a task (task add ...)")
    task_sub = p.add_subparsers(dest="task_command", required=True)
    q = task_sub.add_parser(
        "add",
        parents=[sub_common],
        help="add a task (the daemon carries it out)",
        description="KIND is 'quotes' or 'recurring'; anything else is free text (needs a model).",
    )
    q.add_argument("kind", nargs="+", help="quotes | recurring | free text")
    q.add_argument("--to", action="append", default=[], help="a recipient address (repeatable)")
    q.add_argument("--subject", default="")
    q.add_argument("--request", default="", help="quotes: the request text")
    q.add_argument("--budget", default="", help="quotes: most you pay, e.g. '300 EUR'")
    q.add_argument("--deadline", default="", help="quotes: decide after this long (default 7d)")
    q.add_argument("--follow-up", dest="follow_up", default="", help="quotes: nudge the slow ones after (3d)")
    q.add_argument("--text", default="", help="recurring: the message")
    q.add_argument("--every", default="", help="recurring: 'monday 09:00' or 'day 09:00'")
    q.add_argument("--note", default="", help="your comments")
    q.add_argument("--channel", default="", help="the mail channel to write from")
    owner_cli.add_task_parsers(task_sub, sub_common)
    sub.add_parser("tasks", parents=[common], help="tasks and their state")
    owner_cli.add_parsers(sub, common)
    sub.add_parser("console", parents=[common], help="print a one-time login link to the web console")
    sub.add_parser("departments", parents=[common], help="the organisation and each department's state")
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("deputy")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load(args.config)
        if args.command == "status":  # no store, no loop: it must answer when the database cannot
            from bot.status import status

            return status(settings)
        return int(event_loop.run(_dispatch(args, settings), kind=settings.deputy.event_loop) or 0)
    except ConfigError as exc:
        print(f"configuration error:\n{exc}", file=sys.stderr)
        return 2
    except AlreadyRunning as exc:
        print(str(exc), file=sys.stderr)
        return 3
    except StartupError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 4
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `deputy log | head`: the reader left. Point stdout at /dev/null so the
        # interpreter's final flush does not raise again (Python docs, signal/SIGPIPE).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    command = args.command
    if command == "run":
        from bot.app import Deputy
        from bot.logs import setup
        from bot.shutdown import EXIT_STUCK, run_until_signalled, watch_exit

        deputy = Deputy(settings)
        deputy.redactor = setup(settings.deputy.log_level, secrets=_configured_secrets(settings))
        if not await run_until_signalled(deputy):
            # asyncio.run's clean-up would wait on the stuck task: leave now, logs flushed.
            logging.shutdown()
            os._exit(EXIT_STUCK)
        watch_exit()
        return 0
    if command == "check":
        from bot.check import check

        return check(settings)
    if command == "try" and args.since:
        from bot.try_range import try_range

        return await try_range(settings, args)
    if command == "try":
        from bot.try_event import try_event

        return await try_event(settings, args)
    if command == "console" and not settings.console.enabled:
        print(
            f"{settings.source}: console.enabled is false: set enabled = true under [console]",
            file=sys.stderr,
        )
        return 2
    if command == "departments":
        from bot.departments.report import report

        return await report(settings)
    from bot.errors import NoDatabase
    from bot.store import Store

    if command == "rules" and getattr(args, "rules_command", None) is None and not settings.db_path.exists():
        return _list_rules(settings, ())  # the files alone: there are no learned rules yet
    store = Store(settings.db_path, create=False)  # never a new empty database
    try:
        await store.open()
    except NoDatabase as exc:
        await store.close()
        print(str(exc), file=sys.stderr)
        return 1
    try:
        if command in owner_cli.COMMANDS:
            return await owner_cli.command(store, args)
        if command == "task" and args.task_command == "cancel":
            return await owner_cli.cancel_task(store, args.id)
        if command == "task" and args.task_command in ("pause", "resume"):
            return await owner_cli.pause_or_resume_task(store, args)
        if command in ("inbox", "pending"):
            pending = await store.escalations.open()
            if getattr(args, "json", False):
                print(json.dumps([_question_json(esc) for esc in pending], ensure_ascii=False, indent=2))
                return 0
            if not pending:
                print("Nothing is waiting for you.")
            for esc in pending:
                due = datetime.fromtimestamp(esc.deadline).strftime("%Y-%m-%d %H:%M")
                print(f"#{esc.id}  {esc.event.sender or esc.event.channel}: {esc.event.subject}")
                print(f"     {esc.question}")
                for i, option in enumerate(esc.options, start=1):
                    print(f"       {i}. {option}")
                print(
                    f"     deadline {due}; default: "
                    f"{esc.options[esc.default_option] if esc.default_option is not None else 'none'}"
                )
            return 0
        if command == "answer":
            found = await store.escalations.get(args.id)
            if found is None:
                print(f"no question #{args.id}", file=sys.stderr)
                return 1
            if found.state != "open":
                print(f"question #{args.id} is already {found.state} ({found.answer})", file=sys.stderr)
                return 1
            event = Event(
                id=f"cli:answer:{uuid.uuid4().hex}",
                channel="cli",
                kind="owner_answer",
                thread=f"cli-{args.id}",
                sender="owner",
                sender_verified_owner=True,
                received_at=datetime.now(UTC),
                text=" ".join(args.text),
                refs={"escalation_id": str(args.id)},
            )
            await store.inbox.add(event)
            print(f"answer to #{args.id} recorded; the daemon will carry it out.")
            return 0
        if command == "log":
            entries = await store.audit.recent(limit=args.n)
            seen = await store.message_facts.many([e.event_id for e in entries])
            if args.json:
                rows = [
                    {**_entry_dict(e), "facts": seen[e.event_id].to_dict() if e.event_id in seen else {}}
                    for e in entries
                ]
                print(json.dumps(rows, indent=2, default=str))
                return 0
            for e in entries:
                when = datetime.fromtimestamp(e.at).strftime("%m-%d %H:%M:%S")
                print(
                    f"{when} {e.outcome:<11} {e.sender or e.channel}: {e.subject[:60]}"
                    + (f"  [rule {e.rule}]" if e.rule else "")
                )
                said = seen[e.event_id].summary() if e.event_id in seen else ""
                for line in (
                    *((f"facts: {said}",) if said else ()),
                    *e.reasons,
                    *(f"-> {a}" for a in e.actions),
                    *(f"blocked: {b}" for b in e.blocked),
                ):
                    print(f"      {line}")
            return 0
        if command == "memory":
            if args.forget is not None:
                forgotten = await store.memory.forget(args.forget)
                print("forgotten" if forgotten else f"no memory #{args.forget}")
                return 0
            facts = await store.memory.all()
            for f in facts:
                print(f"#{f.id} {f.subject}: {f.fact}  (from {f.source})")
            if not facts:
                print("Nothing remembered yet.")
            return 0
        if command == "digest":
            from bot.desks.digest import build_digest
            from bot.rules import load_rulebook

            owner = load_rulebook(settings.rules_dir).owner
            prices = (settings.llm.price_in_per_mtok, settings.llm.price_out_per_mtok)
            print(
                (
                    await build_digest(store, owner=owner, since=time.time() - 86400, prices_per_mtok=prices)
                ).text
            )
            return 0
        if command in ("drafts", "send", "discard", "examples"):
            return await drafts_cli.run(store, args)
        if command in ("task", "tasks"):
            return await _task_command(store, settings, args)
        if command == "console":
            from bot.console.auth import issue_login

            minutes = settings.console.login_minutes
            print(await issue_login(store, settings))
            print(f"Open it within {minutes:g} minutes; it works once.", file=sys.stderr)
            return 0
        if command == "rules":
            sub = getattr(args, "rules_command", None)
            if sub == "level":
                return await drafts_cli.set_level(store, args.name, args.level)
            if sub is not None:
                return await _learned_command(store, sub, args)
            from bot.rules.learned import active_rules

            return _list_rules(settings, await active_rules(store), await store.rule_ledger.all())
    finally:
        await store.close()
    return 1


def _list_rules(settings: Settings, learned: Any, ledger: dict[str, Any] | None = None) -> int:
    from bot.rules import load_rulebook

    book = load_rulebook(settings.rules_dir, extra_rules=learned)
    for rule in book.rules:
        may = ", ".join(rule.header.may) or "-"
        where = f"learned, {rule.header.description}" if rule.learned else str(rule.path)
        print(f"{rule.name:<24} priority {rule.header.priority:<3} may {may}  ({where})")
        record = (ledger or {}).get(rule.name)
        print("      " + drafts_cli.level_line(rule, settings, record))
    return 0


async def _learned_command(store: Any, sub: str, args: argparse.Namespace) -> int:
    """deputy rules learned | confirm ID | rollback ID"""
    from bot.rules import learned

    if sub == "learned":
        records = await learned.records(store)
        if not records:
            print("No learned rules yet.")
        today = datetime.now().date()
        for r in records:
            state = "expired" if r.state == "active" and r.expired(today) else r.state
            until = f" until {r.expires}" if r.expires else ""
            print(f"#{r.id:<4} {state:<11} from {r.scope}{until}: {r.describe()}")
            print(f'      source: your answer to #{r.escalation_id}: "{r.answer[:200]}"')
        return 0
    changed, message = await (learned.confirm if sub == "confirm" else learned.rollback)(store, args.id)
    print(message, file=sys.stdout if changed else sys.stderr)
    return 0 if changed else 1


async def _task_command(store: Any, settings: Settings, args: argparse.Namespace) -> int:
    """deputy task add KIND ... | deputy tasks: a task is an owner message the daemon picks up."""
    from zoneinfo import ZoneInfo

    from bot.rules import load_rulebook
    from bot.tasks import model as tasks

    if args.command == "tasks":
        tz = ZoneInfo(load_rulebook(settings.rules_dir).owner.timezone)
        found = await store.tasks.all()
        if not found:
            print("No tasks.")
        for task in found:
            print(task.status_line(tz))
            for c in task.contacts:
                offer = f", {c.offer:g} {c.currency}" if c.offer is not None else ""
                print(f"      {c.address}: {c.status}{offer}")
        return 0
    kind = " ".join(args.kind).strip()
    if kind.lower() in tasks.KINDS:
        fields = {
            "to": ", ".join(args.to),
            "subject": args.subject,
            "request": args.request,
            "budget": args.budget,
            "deadline": args.deadline,
            "follow_up": args.follow_up,
            "text": args.text,
            "every": args.every,
            "note": args.note,
            "channel": args.channel,
        }
        text = tasks.to_text(kind.lower(), fields)
        try:
            tasks.parse(text)
        except tasks.TaskError as exc:
            print(f"task not added: {exc}", file=sys.stderr)
            return 1
    else:
        if not settings.llm.enabled:
            print(tasks.MODEL_NEEDED, file=sys.stderr)
            return 1
        text = f"task: {kind}"
    event = Event(
        id=f"cli:task:{uuid.uuid4().hex}",
        channel="cli",
        kind="owner_message",
        thread="cli-task",
        sender="owner",
        sender_verified_owner=True,
        received_at=datetime.now(UTC),
        text=text,
    )
    await store.inbox.add(event)
    print("task recorded; the daemon will carry it out (see `deputy tasks`).")
    return 0


def _entry_dict(entry: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(entry)


def _configured_secrets(settings: Settings) -> list[str]:
    from bot.logs import secrets_from_env

    names = [settings.llm.api_key_env, *(m.api_key_env for m in settings.models.values() if m.api_key_env)]
    for section in settings.channels.values():
        names += [v for k, v in section.items() if k.endswith("_env") and isinstance(v, str)]
    for server in settings.mcp.values():  # MCP tool servers' secrets and Deputy's own token
        names += [*server.env.values(), server.token_env]
    if settings.mcp_server.enabled:
        names.append(settings.mcp_server.token_env)
    names += [peer.secret_env for peer in settings.peers.values()]  # shared with peers (bot/peers)
    return secrets_from_env(n for n in names if n)


def _question_json(esc: Any) -> dict[str, Any]:
    return {
        "id": esc.id,
        "from": esc.event.sender or esc.event.channel,
        "subject": esc.event.subject,
        "question": esc.question,
        "options": list(esc.options),
        "default_option": esc.default_option,
        "rule": esc.rule,
        "deadline": datetime.fromtimestamp(esc.deadline, UTC).isoformat(timespec="seconds"),
    }


if __name__ == "__main__":
    raise SystemExit(main())
