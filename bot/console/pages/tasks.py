"""Tasks: each task's state, whom it waits on and since when; cancel one, or pause and
resume autonomy (the owner's ``pause``/``resume`` commands, through the inbox)."""

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
}
OPEN = ("planned", "waiting", "needs_owner")


async def index(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    csrf = csrf_of(request)
    rows = []
    for task in await deps.store.tasks.all():
        waiting = ", ".join(task.waiting_on) if task.state == "waiting" and task.waiting_on else ""
        if task.state == "needs_owner" and task.escalation_id is not None:
            waiting = f'you: <a href="/#q{task.escalation_id}">question #{task.escalation_id}</a>'
        else:
            waiting = e(waiting) or '<span class="muted">-</span>'
        rows.append(
            (
                f"#{task.id}",
                e(task.kind),
                e(task.title),
                f'<span class="state">{e(task.state)}</span>',
                waiting,
                when(task.since),
                e(task.result),
                form(f"/tasks/{task.id}/cancel", csrf, "Cancel", kind="danger") if task.state in OPEN else "",
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


async def autonomy(request: web.Request) -> web.StreamResponse:
    to = str((await request.post()).get("to", ""))
    if to not in ("pause", "resume"):
        return web.Response(status=400, text="pause or resume")
    await deps_of(request).owner_says(f"{to}:{secrets.token_hex(8)}", to)
    return see_other(f"/tasks?said={to}")


ROUTES = [
    ("GET", "/tasks", index),
    ("POST", r"/tasks/{id:\d+}/cancel", cancel),
    ("POST", "/autonomy", autonomy),
]
