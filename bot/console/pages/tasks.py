"""Tasks: each task's state, whom it waits on and since when; pause, resume or cancel
one, or pause and resume autonomy. Pause and resume (of one task or of autonomy) are the
owner's commands ("pause task 12", ``pause``) through the inbox, carried out by the
daemon as from any channel; cancel is the tasks repository's, as ``deputy task cancel``."""

from __future__ import annotations

import secrets

from aiohttp import web

from bot.console.auth import see_other
from bot.console.deps import csrf_of, deps_of
from bot.console.html import e, flash_of, form, layout, table, when

SAID = {
    "cancelled": "Task #{q} is cancelled: nothing more is sent for it.",
    "unchanged": "Task #{q} is finished already.",
    "pause": "Pausing: from now on Deputy asks before sending anything.",
    "resume": "Resuming autonomy.",
    "task-pause": "Pausing task #{q}: nothing goes out for it until you resume it.",
    "task-resume": "Resuming task #{q}: it carries on where it was paused.",
}
OPEN = ("planned", "waiting", "needs_owner", "paused")


async def index(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    csrf = csrf_of(request)
    rows = []
    for task in await deps.store.tasks.all():
        waiting = ", ".join(task.waiting_on) if task.state == "waiting" and task.waiting_on else ""
        if task.state == "needs_owner" and task.escalation_id is not None:
            waiting = f'you: <a href="/#q{task.escalation_id}">question #{task.escalation_id}</a>'
        elif task.state == "paused":
            waiting = e(f"{task.paused_note()} (was {task.paused_from.replace('_', ' ')})")
        else:
            waiting = e(waiting) or '<span class="muted">-</span>'
        buttons = ""
        if task.state == "paused":
            buttons = form(f"/tasks/{task.id}/resume", csrf, "Resume")
        elif task.state in OPEN:
            buttons = form(f"/tasks/{task.id}/pause", csrf, "Pause")
        if task.state in OPEN:
            buttons += form(f"/tasks/{task.id}/cancel", csrf, "Cancel", kind="danger")
        rows.append(
            (
                f"#{task.id}",
                e(task.kind),
                e(task.title),
                f'<span class="state">{e(task.state)}</span>',
                waiting,
                when(task.paused_at if task.state == "paused" else task.since),
                e(task.result),
                buttons,
            )
        )
    paused = await deps.store.kv.get("paused") == "1"
    toggle = form(
        "/autonomy",
        csrf,
        "Resume autonomy" if paused else "Pause autonomy",
        fields={"to": "resume" if paused else "pause"},
    )
    body = (
        f'<p>Autonomy is <strong id="autonomy">{"paused" if paused else "on"}</strong>. {toggle}</p>'
        + table(("id", "kind", "task", "state", "waiting on", "since", "result", ""), rows, empty="No tasks.")
    )
    return web.Response(
        text=layout("Tasks", body, here="/tasks", live=True, flash=flash_of(request, SAID)),
        content_type="text/html",
    )


async def cancel(request: web.Request) -> web.StreamResponse:
    task_id = int(request.match_info["id"])
    done = await deps_of(request).store.tasks.cancel(task_id, by="console")
    return see_other(f"/tasks?said={'cancelled' if done else 'unchanged'}&q={task_id}")


async def pause(request: web.Request) -> web.StreamResponse:
    return await _owner_says_of_task(request, "pause")


async def resume(request: web.Request) -> web.StreamResponse:
    return await _owner_says_of_task(request, "resume")


async def _owner_says_of_task(request: web.Request, how: str) -> web.StreamResponse:
    """The owner's "pause task N" / "resume task N", as from a channel (the daemon says
    what it did in the log and on the owner's channel; the page follows live)."""
    task_id = int(request.match_info["id"])
    await deps_of(request).owner_says(f"task-{how}:{task_id}:{secrets.token_hex(8)}", f"{how} task {task_id}")
    return see_other(f"/tasks?said=task-{how}&q={task_id}")


async def autonomy(request: web.Request) -> web.StreamResponse:
    to = str((await request.post()).get("to", ""))
    if to not in ("pause", "resume"):
        return web.Response(status=400, text="pause or resume")
    await deps_of(request).owner_says(f"{to}:{secrets.token_hex(8)}", to)
    return see_other(f"/tasks?said={to}")


ROUTES = [
    ("GET", "/tasks", index),
    ("POST", r"/tasks/{id:\d+}/cancel", cancel),
    ("POST", r"/tasks/{id:\d+}/pause", pause),
    ("POST", r"/tasks/{id:\d+}/resume", resume),
    ("POST", "/autonomy", autonomy),
]
