"""Health: each part's state (the registry ``deputy status`` reads), each channel's last
event, queue depths, quarantined messages with a retry, and deliveries in doubt."""

from __future__ import annotations

from aiohttp import web

from bot.console.auth import see_other
from bot.console.deps import csrf_of, deps_of
from bot.console.html import e, flash_of, form, layout, table, when

SAID = {"retried": "Event {q} is back in the queue.", "unchanged": "Event {q} was not quarantined."}


async def index(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    store, csrf = deps.store, csrf_of(request)
    last = await store.inbox.last_by_channel()
    parts = [
        (
            e(p.part),
            '<span class="ok">ok</span>' if p.ok else f'<span class="bad">degraded</span>: {e(p.reason)}',
            when(p.since),
            str(deps.health.failures.get(p.part, 0)),
        )
        for p in deps.health.snapshot()
    ]
    channels = [(e(name), when(at)) for name, at in sorted(last.items())]
    inbox, outbox = await store.inbox.counts(), await store.outbox.counts()
    queues = [
        ("inbox", *(str(inbox.get(s, 0)) for s in ("pending", "processing", "done", "quarantined"))),
        ("outbox", *(str(outbox.get(s, 0)) for s in ("pending", "sending", "sent", "failed"))),
    ]
    quarantined = [
        (
            str(seq),
            e(event.channel),
            e(event.sender),
            e(event.subject),
            e(reason),
            form(f"/health/retry/{seq}", csrf, "Retry"),
        )
        for seq, event, reason in await store.inbox.quarantine_list()
    ]
    doubt = [
        (
            str(row["seq"]),
            e(row["connector"]),
            e(row["op"]),
            e(row["recipient"]),
            "in doubt" if row["in_doubt"] else e(row["state"]),
            e(row["last_error"]),
            when(float(str(row["created_at"]))),
        )
        for row in await store.outbox.in_doubt()
    ]
    body = (
        "<h2>Parts</h2>"
        + table(("part", "state", "since", "loop restarts"), parts)
        + "<h2>Channels: last event</h2>"
        + table(("channel", "last event"), channels, empty="No events yet.")
        + "<h2>Queues</h2>"
        + table(("queue", "pending", "in progress", "done", "quarantined / failed"), queues)
        + "<h2>Quarantined messages</h2>"
        + table(("seq", "channel", "from", "subject", "reason", ""), quarantined, empty="None quarantined.")
        + "<h2>Deliveries in doubt or given up</h2>"
        + table(("seq", "channel", "op", "to", "state", "error", "created"), doubt, empty="None.")
    )
    return web.Response(
        text=layout("Health", body, here="/health", live=True, flash=flash_of(request, SAID)),
        content_type="text/html",
    )


async def retry(request: web.Request) -> web.StreamResponse:
    seq = int(request.match_info["seq"])
    done = await deps_of(request).store.inbox.requeue(seq)
    return see_other(f"/health?said={'retried' if done else 'unchanged'}&q={seq}")


ROUTES = [("GET", "/health", index), ("POST", r"/health/retry/{seq:\d+}", retry)]
