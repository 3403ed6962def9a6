"""Spend: model calls, tokens and cost per day and per rule, from what the audit records
of every decision (calls and tokens in and out); cost at ``llm.price_*_per_mtok``."""

from __future__ import annotations

import time

from aiohttp import web

from bot.console.deps import deps_of
from bot.console.html import e, layout, table
from bot.console.svg import bars

DAYS = 30


async def index(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    llm = deps.settings.llm
    since = time.time() - DAYS * 86400
    by_day = await deps.store.audit.spend(since=since, by="day")
    by_rule = await deps.store.audit.spend(since=since, by="rule")

    def cost(tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * llm.price_in_per_mtok + tokens_out * llm.price_out_per_mtok) / 1e6

    def rows(data: list[tuple[str, int, int, int]]) -> list[tuple[str, ...]]:
        return [(e(k or "(no rule)"), str(c), str(i), str(o), f"{cost(i, o):.4f}") for k, c, i, o in data]

    head = ("", "model calls", "tokens in", "tokens out", "cost")
    body = (
        f'<p class="muted">The last {DAYS} days. Prices: {llm.price_in_per_mtok:g} in and '
        f"{llm.price_out_per_mtok:g} out per million tokens"
        " (llm.price_in_per_mtok, llm.price_out_per_mtok).</p>"
        + bars("Model calls per day", [(d, float(c)) for d, c, _, _ in by_day])
        + bars("Tokens per day (in + out)", [(d, float(i + o)) for d, _, i, o in by_day])
        + "<h2>Per day</h2>"
        + table(("day", *head[1:]), rows(by_day), empty="No model calls.")
        + "<h2>Per rule</h2>"
        + bars("Tokens per rule", [(r or "(no rule)", float(i + o)) for r, _, i, o in by_rule])
        + table(("rule", *head[1:]), rows(by_rule), empty="No model calls.")
    )
    return web.Response(text=layout("Spend", body, here="/spend"), content_type="text/html")


ROUTES = [("GET", "/spend", index)]
