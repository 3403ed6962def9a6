"""Questions: each with its context and options, and an answer previewed before it goes.

Answering is two steps. The first shows what the answer would do (``preview.py``); the
second, from that page, enters the answer into the inbox as the command line does, so
the owner's desk carries it out like an answer from any channel. The event's id is the
preview's own nonce: the same form sent twice is one answer.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from bot.console.auth import see_other
from bot.console.deps import csrf_of, deps_of
from bot.console.html import e, flash_of, layout, pre, when
from bot.console.preview import Leaving, Preview, preview, seal, sealed
from bot.store import Escalation

# Messages after a redirect, by code: a link can pick one, never write its own.
SAID = {
    "answered": "Your answer to #{q} is recorded; Deputy carries it out now.",
    "closed": "Question #{q} was answered already.",
    "empty": "Write an answer to #{q} first.",
}


def _context(esc: Escalation) -> str:
    ev = esc.event
    sender = f"{e(ev.sender_name)} &lt;{e(ev.sender)}&gt;" if ev.sender_name else e(ev.sender or ev.channel)
    return (
        f'<p class="muted">#{esc.id} · {e(ev.channel)} · from {sender} · asked {when(esc.created_at)}'
        f" · deadline {when(esc.deadline)}" + (f" · rule {e(esc.rule)}" if esc.rule else "") + "</p>"
        f"<p><strong>{e(ev.subject)}</strong></p>{pre(ev.text[:4000])}"
        f"<p><strong>Question:</strong></p>{pre(esc.question)}"
        + (f'<p class="muted">Why: {e(esc.reason)}</p>' if esc.reason else "")
    )


def _answer_form(esc: Escalation, csrf: str) -> str:
    options = "".join(
        f'<button type="submit" name="text" value="{i}" class="quiet">{i}. {e(label)}</button> '
        for i, label in enumerate(esc.options, start=1)
    )
    default = (
        f'<p class="muted">If you do not answer: {e(esc.options[esc.default_option])}</p>'
        if esc.default_option is not None and esc.default_option < len(esc.options)
        else ""
    )
    return (
        f'<form method="post" action="/questions/{esc.id}/preview">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        + (f"<p>{options}</p>" if options else "")
        + "</form>"
        f'<form method="post" action="/questions/{esc.id}/preview" class="answer">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        f'<label>Your answer, in your own words<textarea name="text" id="answer-{esc.id}"></textarea></label>'
        '<button type="submit">Preview what will be sent</button></form>' + default
    )


async def index(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    pending = await deps.store.escalations.open()
    cards = "".join(
        f'<section class="card question" id="q{esc.id}">'
        f"{_context(esc)}{_answer_form(esc, csrf_of(request))}</section>"
        for esc in pending
    )
    body = cards or '<p class="empty">Nothing is waiting for you.</p>'
    flash = flash_of(request, SAID)
    return web.Response(
        text=layout("Questions", body, here="/", live=True, flash=flash), content_type="text/html"
    )


def leaving_html(items: tuple[Leaving, ...]) -> str:
    out = []
    for x in items:
        head = f"{e(x.kind)} on {e(x.channel)}"
        if x.to:
            head += " to <strong class=recipients>" + e(", ".join(x.to)) + "</strong>"
        if x.cc:
            head += ", cc " + e(", ".join(x.cc))
        if x.note:
            head += f" ({e(x.note)})"
        out.append(f'<div class="leaving"><p>{head}:</p>{pre(x.text) if x.text else ""}</div>')
    return "".join(out)


def _preview_html(p: Preview) -> str:
    parts = [f"<p>Deputy reads your answer as: <strong>{e(p.summary)}</strong></p>"]
    if p.sent:
        parts.append("<h2>What will be sent, exactly as shown</h2>" + leaving_html(p.sent))
    if p.checked:
        parts.append("<h2>Sent if the rule's checks pass</h2>" + leaving_html(p.checked))
    if p.asks_again:
        parts.append(
            "<h2>Nothing goes yet: Deputy will ask you to confirm this draft</h2>"
            + leaving_html(p.asks_again)
        )
    if p.model_drafts:
        parts.append(
            "<p>The model drafts the message; you see the draft as a new question before anything goes.</p>"
        )
    if not (p.sent or p.checked or p.asks_again or p.model_drafts):
        parts.append("<p><strong>Nothing will be sent to anyone.</strong></p>")
    if p.also:
        parts.append("<p>Deputy also does: " + e(", ".join(p.also)) + "</p>")
    if p.findings:
        parts.append("<p class=bad>The rule's checks say: " + e("; ".join(p.findings)) + "</p>")
    if p.notice:
        parts.append(f"<p>Deputy will tell you: {e(p.notice)}</p>")
    if not p.closes:
        parts.append("<p>The question stays open.</p>")
    if p.learns:
        parts.append(
            "<p>Deputy will propose a learned rule from this answer;"
            " it takes effect only when you confirm it.</p>"
        )
    return "".join(parts)


async def _open_question(request: web.Request) -> Escalation | web.Response:
    deps = deps_of(request)
    try:
        esc = await deps.store.escalations.get(int(request.match_info["id"]))
    except ValueError:
        esc = None
    if esc is None:
        return web.Response(status=404, text="No such question.")
    if esc.state != "open":
        return see_other(f"/?said=closed&q={esc.id}")
    return esc


async def preview_answer(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    found = await _open_question(request)
    if isinstance(found, web.Response):
        return found
    esc = found
    text = str((await request.post()).get("text", "")).strip()
    if not text:
        return see_other(f"/?said=empty&q={esc.id}")
    csrf = csrf_of(request)
    shown = preview(esc, text, deps.rulebook())
    body = (
        f"{_context(esc)}<h2>Your answer</h2>{pre(text)}"
        f"<section class=card id=preview>{_preview_html(shown)}</section>"
        f'<form method="post" action="/questions/{esc.id}/answer">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        f'<input type="hidden" name="text" value="{e(text)}">'
        f'<input type="hidden" name="seal" value="{seal(csrf, esc.id, text)}">'
        f'<input type="hidden" name="nonce" value="{secrets.token_urlsafe(16)}">'
        '<button type="submit" id="send-answer">Send this answer</button> <a href="/">Back</a></form>'
    )
    return web.Response(text=layout(f"Answer to #{esc.id}", body, here="/"), content_type="text/html")


async def answer(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    found = await _open_question(request)
    if isinstance(found, web.Response):
        return found
    esc = found
    data = await request.post()
    text, nonce = str(data.get("text", "")), str(data.get("nonce", ""))
    if not nonce or not sealed(csrf_of(request), esc.id, text, str(data.get("seal", ""))):
        return web.Response(status=400, text="This answer is not the one previewed. Preview it again.")
    await deps.owner_says(f"answer:{esc.id}:{nonce}", text, kind="owner_answer", escalation_id=str(esc.id))
    return see_other(f"/?said=answered&q={esc.id}")


ROUTES = [
    ("GET", "/", index),
    ("POST", "/questions/{id}/preview", preview_answer),
    ("POST", "/questions/{id}/answer", answer),
]
