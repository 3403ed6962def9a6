"""``/healthz`` and ``/metrics`` for a supervisor or a Prometheus scraper.

Both answer without a session: they carry states and counts, never a message, an
address or a secret. ``/metrics`` is the Prometheus text exposition format 0.0.4:
counters end in ``_total``; every figure is read from the store at scrape time, so a
restart loses none of them.
"""

from __future__ import annotations

import json

from aiohttp import web

from bot.console.deps import deps_of


async def live(request: web.Request) -> web.Response:
    return web.json_response({"live": True})


async def healthz(request: web.Request) -> web.Response:
    """200 when every part works and the database answers; 503 names what does not."""
    deps = deps_of(request)
    degraded = {p.part: p.reason for p in deps.health.snapshot() if not p.ok}
    try:
        await deps.store.inbox.has_pending()
        database = "ok"
    except Exception as exc:  # the database is what fails: say so, do not crash the probe
        database = f"{type(exc).__name__}: {exc}"
    ready = not degraded and database == "ok"
    body = {"live": True, "ready": ready, "database": database, "degraded": degraded}
    return web.Response(status=200 if ready else 503, text=json.dumps(body), content_type="application/json")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


async def metrics(request: web.Request) -> web.Response:
    deps = deps_of(request)
    store = deps.store
    inbox, outbox = await store.inbox.counts(), await store.outbox.counts()
    decisions, calls, tokens_in, tokens_out = await store.audit.totals()
    outcomes: dict[str, int] = {}
    for (outcome, _), n in (await store.audit.counts("outcome")).items():
        outcomes[outcome] = outcomes.get(outcome, 0) + n
    lines: list[str] = []

    def family(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(f"{name}{labels} {value:g}" for labels, value in samples)

    family(
        "deputy_events_in_total",
        "counter",
        "Events committed to the inbox.",
        [("", await store.inbox.total())],
    )
    family(
        "deputy_decisions_total",
        "counter",
        "Decisions recorded in the audit, by outcome.",
        [(f'{{outcome="{_label(k)}"}}', v) for k, v in sorted(outcomes.items())]
        or [('{outcome="handled"}', 0)],
    )
    family(
        "deputy_deliveries",
        "gauge",
        "Outbox rows by state.",
        [(f'{{state="{_label(k)}"}}', v) for k, v in sorted(outbox.items())] or [('{state="sent"}', 0)],
    )
    family(
        "deputy_queue_depth",
        "gauge",
        "Work waiting: inbox events and outbox deliveries not yet done.",
        [
            ('{queue="inbox"}', inbox.get("pending", 0) + inbox.get("processing", 0)),
            ('{queue="outbox"}', outbox.get("pending", 0) + outbox.get("sending", 0)),
        ],
    )
    family("deputy_quarantined", "gauge", "Events quarantined.", [("", inbox.get("quarantined", 0))])
    family("deputy_model_calls_total", "counter", "Model calls made for decisions.", [("", calls)])
    family(
        "deputy_model_tokens_total",
        "counter",
        "Model tokens, by direction.",
        [('{direction="in"}', tokens_in), ('{direction="out"}', tokens_out)],
    )
    family("deputy_audit_rows_total", "counter", "Decisions recorded.", [("", decisions)])
    family(
        "deputy_loop_restarts_total",
        "counter",
        "Failures of a supervised loop since the daemon started (each one a restart).",
        [
            (f'{{part="{_label(p.part)}"}}', deps.health.failures.get(p.part, 0))
            for p in deps.health.snapshot()
        ],
    )
    family(
        "deputy_part_up",
        "gauge",
        "1 when a part works, 0 while it is degraded.",
        [(f'{{part="{_label(p.part)}"}}', 1 if p.ok else 0) for p in deps.health.snapshot()],
    )
    return web.Response(
        body=("\n".join(lines) + "\n").encode(),
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )
