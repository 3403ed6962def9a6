"""The owner's commands on the command line: pause, resume, pending, undo N and task
cancel|pause|resume ID, the same commands the owner sends by chat or mail.

pause, resume, undo and task pause|resume become an owner message in the inbox, exactly
as if the owner had written them on a channel ("pause task 12"), so the daemon carries
them out (and answers on the cli channel) through the one path every channel uses: a
resume needs the daemon's rules to read the replies that came in meanwhile. ``pending``
reads the open questions, and ``task cancel`` is the tasks repository's cancel, the one
the web console calls.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from bot.events import Event

COMMANDS = ("pause", "resume", "undo")


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    sub.add_parser("pause", parents=[common], help="ask before sending anything (until resume)")
    sub.add_parser("resume", parents=[common], help="act on the rules again after pause")
    sub.add_parser("pending", parents=[common], help="the questions waiting for you (as inbox)")
    p = sub.add_parser("undo", parents=[common], help="move the message of filing N back to the inbox")
    p.add_argument("n", type=int, help="the filing's number, as the digest and the log show it")


def add_task_parsers(task_sub: Any, sub_common: argparse.ArgumentParser) -> None:
    q = task_sub.add_parser("cancel", parents=[sub_common], help="call task ID off: nothing more is sent")
    q.add_argument("id", type=int)
    q = task_sub.add_parser("pause", parents=[sub_common], help="hold task ID: nothing is sent until resume")
    q.add_argument("id", type=int)
    q = task_sub.add_parser("resume", parents=[sub_common], help="carry on with task ID where it was paused")
    q.add_argument("id", type=int)


async def command(store: Any, args: argparse.Namespace) -> int:
    """pause | resume | undo N | task pause|resume ID: recorded as the owner's message
    for the daemon."""
    if args.command == "task":
        text = f"{args.task_command} task {args.id}"
    else:
        text = f"undo {args.n}" if args.command == "undo" else args.command
    event = Event(
        id=f"cli:command:{uuid.uuid4().hex}",
        channel="cli",
        kind="owner_message",
        thread="cli-command",
        sender="owner",
        sender_verified_owner=True,
        received_at=datetime.now(UTC),
        text=text,
    )
    await store.inbox.add(event)
    print(f"'{text}' recorded; the daemon will carry it out (its answer is in `deputy log`).")
    return 0


async def pause_or_resume_task(store: Any, args: argparse.Namespace) -> int:
    """task pause|resume ID: refused here at once when the task cannot be paused (or is
    not paused); otherwise the daemon carries it out, as any channel's "pause task ID"."""
    from bot.tasks.model import LIVE

    task = await store.tasks.get(args.id)
    if task is None:
        print(f"no task #{args.id}", file=sys.stderr)
        return 1
    if args.task_command == "pause" and task.state not in LIVE:
        print(f"task #{args.id} is {task.state.replace('_', ' ')}: nothing to pause", file=sys.stderr)
        return 1
    if args.task_command == "resume" and task.state != "paused":
        print(f"task #{args.id} is not paused (it is {task.state.replace('_', ' ')})", file=sys.stderr)
        return 1
    return await command(store, args)


async def cancel_task(store: Any, task_id: int) -> int:
    if await store.tasks.cancel(task_id, by="cli"):
        print(f"Task #{task_id} is cancelled: nothing more is sent for it.")
        return 0
    print(f"no open task #{task_id}", file=sys.stderr)
    return 1
