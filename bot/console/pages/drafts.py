"""Drafts: what a ``draft``-level rule holds for the owner: Send it as it is, Send an
edited text, or Discard it.

The owner's choice goes the path of every other owner channel: an owner answer in the
inbox (``deputy send ID [--edit]`` writes the same refs), carried out by the owner's
desk (``bot/desks/draft_answers.py``), so an edited text still gets the rule's checks,
the rule's ledger counts it, and a draft is closed once however often it is answered.
Send is two steps like a question's answer: the preview shows every recipient and the
whole text that will leave; the second step is accepted only with the text previewed
(a seal keyed by the session's CSRF token). The event's id is the preview's nonce: the
same form sent twice is one answer.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from bot.actions import Action, Decision
from bot.console.auth import see_other
from bot.console.deps import csrf_of, deps_of
from bot.console.html import e, flash_of, layout, pre, query, when
from bot.console.pages.questions import leaving_html
from bot.console.preview import leaving, seal, sealed
from bot.effects.drafting import SEND, answer_context, edited
from bot.gate.policy import PolicyGate
from bot.store import Draft, Escalation

SAID = {
    "send": "Draft #{q}: Send is recorded; Deputy sends it now.",
    "edit": "Draft #{q}: your text is recorded; Deputy checks it and sends it now.",
    "discard": "Draft #{q} is discarded: nothing will be sent.",
    "closed": "Draft #{q} was answered already.",
    "empty": "Write the text to send for draft #{q} first.",
}
OPS = ("send", "edit", "discard")
_GATE = PolicyGate()


def _lines(text: str) -> str:
    """A form's text as the owner wrote it: browsers send every line break as CRLF (the
    HTML standard's form submission, "convert to a list of name-value pairs")."""
    return text.replace("\r\n", "\n")


def _seal(csrf: str, draft_id: int, op: str, text: str) -> str:
    return seal(csrf, draft_id, f"{op}\n{text}")


async def _open(request: web.Request) -> tuple[Draft, Escalation] | web.Response:
    store = deps_of(request).store
    try:
        draft_id = int(request.match_info["id"])
    except ValueError:
        return web.Response(status=404, text="No such draft.")
    draft, esc = await store.drafts.get(draft_id), await store.escalations.get(draft_id)
    if draft is None or esc is None:
        return web.Response(status=404, text="No such draft.")
    if draft.state != "open" or esc.state != "open":
        return see_other(f"/drafts?said=closed&q={draft_id}")
    return draft, esc


def _head(draft: Draft, esc: Escalation) -> str:
    ev = esc.event
    to = ", ".join(draft.recipients) or "(no recipient)"
    return (
        f'<p class="muted">#{draft.id} · rule {e(draft.rule)} · {e(ev.channel)}'
        f" · made {when(draft.created_at)}"
        f' · <a href="/conversation{query(thread=ev.thread)}">the conversation</a></p>'
        f"<p>In answer to <strong>{e(ev.subject or '(no subject)')}</strong> from {e(ev.sender)}</p>"
        f"<p>To <strong class=recipients>{e(to)}</strong>:</p>"
    )


def _card(draft: Draft, esc: Escalation, csrf: str) -> str:
    hidden = f'<input type="hidden" name="csrf" value="{e(csrf)}">'
    return (
        f'<section class="card draft" id="d{draft.id}">{_head(draft, esc)}{pre(draft.text)}'
        f'<form method="post" action="/drafts/{draft.id}/preview" class="inline">{hidden}'
        '<input type="hidden" name="op" value="send">'
        '<button type="submit">Send</button></form> '
        f'<form method="post" action="/drafts/{draft.id}/answer" class="inline">{hidden}'
        '<input type="hidden" name="op" value="discard">'
        f'<input type="hidden" name="seal" value="{_seal(csrf, draft.id, "discard", "")}">'
        f'<input type="hidden" name="nonce" value="{secrets.token_urlsafe(16)}">'
        '<button type="submit" class="quiet">Discard</button></form>'
        f'<form method="post" action="/drafts/{draft.id}/preview" class="answer">{hidden}'
        '<input type="hidden" name="op" value="edit">'
        f'<label>Or edit it: this text goes to the same recipients<textarea name="text" id="edit-{draft.id}">'
        # The HTML parser drops a newline right after <textarea> (HTML standard, "in
        # body" insertion mode): one is given to drop, so a text's own first line stays.
        f"\n{e(draft.text)}</textarea></label>"
        '<button type="submit">Preview edited text</button></form></section>'
    )


async def _findings(
    request: web.Request,
    esc: Escalation,
    draft: Draft,
    actions: tuple[Action, ...],
    *,
    owner_saw: tuple[Action, ...],
) -> tuple[str, ...]:
    """What the rule's checks would block, as the owner's desk will check it."""
    deps = deps_of(request)
    rulebook = deps.rulebook()
    facts = await deps.store.message_facts.get(esc.event.id)
    ctx = answer_context(
        esc, rulebook.by_name(esc.rule), rulebook, original=draft.text, facts=facts, owner_saw=owner_saw
    )
    checked = _GATE.check(Decision(actions=actions, rule=esc.rule), ctx)
    return tuple(why for _, why in checked.blocked)


async def index(request: web.Request) -> web.StreamResponse:
    store = deps_of(request).store
    cards = []
    for draft in await store.drafts.open():
        esc = await store.escalations.get(draft.id)
        if esc is not None and esc.state == "open":
            cards.append(_card(draft, esc, csrf_of(request)))
    body = "".join(cards) or '<p class="empty">No drafts are waiting for you.</p>'
    return web.Response(
        text=layout("Drafts", body, here="/drafts", live=True, flash=flash_of(request, SAID)),
        content_type="text/html",
    )


async def preview_draft(request: web.Request) -> web.StreamResponse:
    found = await _open(request)
    if isinstance(found, web.Response):
        return found
    draft, esc = found
    data = await request.post()
    op, text = str(data.get("op", "")), _lines(str(data.get("text", "")))
    if op not in ("send", "edit"):
        return web.Response(status=400, text="Unknown draft operation.")
    if op == "edit" and not text.strip():
        return see_other(f"/drafts?said=empty&q={draft.id}")
    if op == "send":
        text = ""
    held = esc.option_actions[SEND] if esc.option_actions else ()
    actions = held if op == "send" else edited(held, text)
    going = leaving(actions, esc)
    findings = await _findings(request, esc, draft, actions, owner_saw=held if op == "send" else ())
    note = (
        "<p>Sent as Deputy drafted it: your Send covers exactly this.</p>"
        if op == "send"
        else "<p>Your own text, byte for byte. It still gets the rule's checks (recipients, "
        "amounts, links): what they block comes back to you with the reason instead.</p>"
    )
    csrf = csrf_of(request)
    body = (
        f"{_head(draft, esc)}"
        f"<section class=card id=preview><h2>What will be sent, exactly as shown</h2>"
        f"{leaving_html(going) or '<p><strong>Nothing will be sent to anyone.</strong></p>'}{note}"
        + (f"<p class=bad>The rule's checks say: {e('; '.join(findings))}</p>" if findings else "")
        + "</section>"
        f'<form method="post" action="/drafts/{draft.id}/answer">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        f'<input type="hidden" name="op" value="{e(op)}">'
        f'<input type="hidden" name="text" value="{e(text)}">'
        f'<input type="hidden" name="seal" value="{_seal(csrf, draft.id, op, text)}">'
        f'<input type="hidden" name="nonce" value="{secrets.token_urlsafe(16)}">'
        '<button type="submit" id="send-draft">Send this</button> <a href="/drafts">Back</a></form>'
    )
    return web.Response(text=layout(f"Draft #{draft.id}", body, here="/drafts"), content_type="text/html")


async def answer(request: web.Request) -> web.StreamResponse:
    found = await _open(request)
    if isinstance(found, web.Response):
        return found
    draft, _ = found
    data = await request.post()
    op, text, nonce = str(data.get("op", "")), _lines(str(data.get("text", ""))), str(data.get("nonce", ""))
    if (
        op not in OPS
        or not nonce
        or not sealed(csrf_of(request), draft.id, f"{op}\n{text}", str(data.get("seal", "")))
    ):
        return web.Response(status=400, text="This is not the draft answer previewed. Preview it again.")
    await deps_of(request).owner_says(
        f"draft:{draft.id}:{nonce}",
        text or op,
        kind="owner_answer",
        escalation_id=str(draft.id),
        draft_op=op,
        draft_text=text,
    )
    return see_other(f"/drafts?said={op}&q={draft.id}")


ROUTES = [
    ("GET", "/drafts", index),
    ("POST", "/drafts/{id}/preview", preview_draft),
    ("POST", "/drafts/{id}/answer", answer),
]
