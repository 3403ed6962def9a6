"""Activity: the audit, newest first, with each decision's rule, reasons, actions and
what the gate blocked; filters by channel, rule, correspondent and outcome; a search;
pages by keyset (``before`` the last id shown), so page 200 costs what page 1 does."""

from __future__ import annotations

import time
import weakref

from aiohttp import web

from bot.console.deps import deps_of
from bot.console.html import e, layout, query, table, when
from bot.store import AuditEntry, Store

PAGE = 50
CHOICES_SECONDS = 10.0  # the filters' lists: a scan of the whole audit, so kept a moment
_choices: weakref.WeakKeyDictionary[Store, dict[str, tuple[float, list[str]]]] = weakref.WeakKeyDictionary()


async def _values(store: Store, column: str) -> list[str]:
    """The values a filter offers, read at most every ``CHOICES_SECONDS`` per store."""
    mine, now = _choices.setdefault(store, {}), time.monotonic()
    cached = mine.get(column)
    if cached is None or now - cached[0] > CHOICES_SECONDS:
        cached = mine[column] = (now, await store.audit.choices(column))
    return cached[1]


def _select(name: str, label: str, values: list[str], chosen: str) -> str:
    options = f'<option value="">{e(label)}: any</option>' + "".join(
        f'<option value="{e(v)}"{" selected" if v == chosen else ""}>{e(v)}</option>' for v in values
    )
    return f'<select name="{name}" aria-label="{e(label)}">{options}</select>'


def _decision(entry: AuditEntry) -> str:
    lines = [f"<li>{e(r)}</li>" for r in entry.reasons]
    lines += [f"<li>→ {e(a)}</li>" for a in entry.actions]
    lines += [f'<li class="bad">gate blocked: {e(b)}</li>' for b in entry.blocked]
    return f'<ul class="reasons">{"".join(lines)}</ul>' if lines else ""


async def index(request: web.Request) -> web.StreamResponse:
    store = deps_of(request).store
    q = request.query
    where = {k: q.get(k, "") for k in ("channel", "rule", "sender", "outcome")}
    search = q.get("q", "")
    before = int(q["before"]) if q.get("before", "").isdigit() else 0
    rows = await store.audit.page(before=before, limit=PAGE + 1, where=where, search=search)
    more, rows = len(rows) > PAGE, rows[:PAGE]
    channels, rules, outcomes = (
        await _values(store, "channel"),
        await _values(store, "rule"),
        await _values(store, "outcome"),
    )
    filters = (
        '<form method="get" action="/activity" class="filters">'
        + _select("channel", "channel", channels, where["channel"])
        + _select("rule", "rule", rules, where["rule"])
        + _select("outcome", "outcome", outcomes, where["outcome"])
        + f'<input name="sender" placeholder="correspondent" value="{e(where["sender"])}">'
        + f'<input name="q" type="search" placeholder="search" value="{e(search)}">'
        + '<button type="submit">Filter</button> <a href="/activity">clear</a></form>'
    )
    body_rows = [
        (
            f'<span class="muted">{when(entry.at)}</span>',
            e(entry.channel),
            e(entry.sender),
            e(entry.subject),
            e(entry.rule) or '<span class="muted">-</span>',
            f'<span class="outcome">{e(entry.outcome)}</span>',
            _decision(entry)
            + (
                f'<span class="muted">model: {entry.llm_calls} calls, '
                f"{entry.tokens_in}+{entry.tokens_out} tokens</span>"
                if entry.llm_calls
                else ""
            ),
        )
        for _, entry in rows
    ]
    pager = ""
    if more:
        pager = (
            f'<p><a id="older" href="/activity{query(**where, q=search, before=rows[-1][0])}">Older →</a></p>'
        )
    body = (
        filters
        + table(
            ("when", "channel", "from", "subject", "rule", "outcome", "reasons, actions and gate checks"),
            body_rows,
            empty="No decisions match.",
        )
        + pager
    )
    return web.Response(
        text=layout("Activity", body, here="/activity", live=not before), content_type="text/html"
    )


ROUTES = [("GET", "/activity", index)]
