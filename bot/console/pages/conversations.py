"""Conversations: every thread, and in one thread every message in and out, the facts
Deputy read from each message (``message_facts``) and the decision behind each action."""

from __future__ import annotations

from aiohttp import web

from bot.console.deps import deps_of
from bot.console.html import e, layout, pre, query, table, when


async def index(request: web.Request) -> web.StreamResponse:
    threads = await deps_of(request).store.inbox.threads(limit=100)
    rows = [
        (
            f'<a href="/conversation{query(thread=thread)}">{e(event.subject or "(no subject)")}</a>',
            e(event.sender),
            e(event.channel),
            str(n),
            when(at),
        )
        for thread, n, at, event in threads
    ]
    body = table(
        ("subject", "latest from", "channel", "messages", "last"), rows, empty="No conversations yet."
    )
    return web.Response(
        text=layout("Conversations", body, here="/conversations", live=True), content_type="text/html"
    )


async def thread(request: web.Request) -> web.StreamResponse:
    store = deps_of(request).store
    key = request.query.get("thread", "")
    events = await store.inbox.thread_events(key)
    ids = [event.id for event, _, _ in events]
    facts = await store.message_facts.many(ids)
    decisions = await store.audit.for_events(ids)
    sent = await store.outbox.for_thread(key)
    parts = []
    for event, state, error in events:
        said = facts[event.id].summary() if event.id in facts else ""
        decided = "".join(
            f'<div class="decision"><p><strong>{e(d.outcome)}</strong>'
            + (f" by rule {e(d.rule)}" if d.rule else "")
            + "</p><ul class=reasons>"
            + "".join(f"<li>{e(r)}</li>" for r in d.reasons)
            + "".join(f"<li>→ {e(a)}</li>" for a in d.actions)
            + "".join(f'<li class="bad">gate blocked: {e(b)}</li>' for b in d.blocked)
            + "</ul></div>"
            for d in decisions.get(event.id, [])
        )
        parts.append(
            f'<section class="card message in"><p class="muted">in · {when(event.received_at.timestamp())} · '
            f"{e(event.sender)} · {e(event.kind)} · {e(state)}{(' · ' + e(error)) if error else ''}</p>"
            f"<p><strong>{e(event.subject)}</strong></p>{pre(event.text[:8000])}"
            + (f'<p class="facts"><strong>Facts read:</strong> {e(said)}</p>' if said else "")
            + decided
            + "</section>"
        )
    out_rows = [
        (
            when(float(str(row["created_at"]))),
            e(row["op"]),
            e(row["recipient"]),
            e(str(row["payload"].get("text", ""))[:2000] if isinstance(row["payload"], dict) else ""),
            ("in doubt" if row["in_doubt"] else e(row["state"]))
            + ("" if row["autonomous"] else ' <span class="muted">(you approved)</span>'),
        )
        for row in sent
    ]
    body = (
        "".join(parts or ['<p class="empty">No messages in this conversation.</p>'])
        + "<h2>Out</h2>"
        + table(("when", "what", "to", "text", "state"), out_rows, empty="Nothing sent in this conversation.")
    )
    return web.Response(
        text=layout("Conversation", body, here="/conversations", live=True), content_type="text/html"
    )


ROUTES = [("GET", "/conversations", index), ("GET", "/conversation", thread)]
