"""Rules: the rulebook in evaluation order with each rule's record, and the learned
rules to confirm or roll back (the same functions as ``deputy rules confirm|rollback``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.console.auth import see_other
from bot.console.deps import csrf_of, deps_of
from bot.console.html import e, flash_of, form, layout, table, when
from bot.errors import ConfigError
from bot.rules import learned, load_rulebook
from bot.try_range import compare, parse_day

TRY_LIMIT = 200  # messages judged again per request: a page, not a batch job
TRY_FORM = (
    "<h2>Try the rules on stored mail</h2>"
    '<form method="get" action="/rules/try">'
    '<label>from <input type="date" name="since" required></label> '
    '<label>to <input type="date" name="until"></label> '
    '<button type="submit">Show what would change</button></form>'
    '<p class="muted">The rule files as they are now, judged against the mail of those days'
    " with nothing written or sent (as <code>deputy try --since</code>).</p>"
)

SAID = {
    "confirmed": "Learned rule #{q} is active.",
    "rolled_back": "Learned rule #{q} is rolled back.",
    "unchanged": "Learned rule #{q} was not changed (see its state).",
}


async def index(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    csrf = csrf_of(request)
    book = deps.rulebook()
    counts = await deps.store.audit.counts("rule")
    record: dict[str, dict[str, int]] = {}
    for (name, outcome), n in counts.items():
        record.setdefault(name, {})[outcome] = n
    rows = []
    for position, rule in enumerate(book.rules, start=1):
        seen = record.get(rule.name, {})
        shown = ", ".join(f"{k} {v}" for k, v in sorted(seen.items())) or "never used"
        where = f"learned: {rule.header.description}" if rule.learned else str(rule.path.name)
        rows.append(
            (
                str(position),
                f"<strong>{e(rule.name)}</strong>",
                str(rule.header.priority),
                e(", ".join(rule.header.may) or "-"),
                e(where),
                f"{sum(seen.values())} <span class=muted>({e(shown)})</span>",
            )
        )
    learned_rows = []
    for r in await deps.store.learned_rules.all():
        buttons = ""
        if r.state in ("proposed", "rolled_back"):
            buttons += form(f"/rules/learned/{r.id}/confirm", csrf, "Confirm")
        if r.state in ("proposed", "active"):
            buttons += " " + form(f"/rules/learned/{r.id}/rollback", csrf, "Roll back", kind="quiet")
        learned_rows.append(
            (
                f"#{r.id}",
                f'<span class="state">{e(r.state)}</span>',
                e(r.scope),
                e(r.describe()) + (f' <span class="muted">until {e(r.expires)}</span>' if r.expires else ""),
                f'your answer to #{r.escalation_id}: "{e(r.answer[:200])}"'
                f" <span class=muted>{when(r.created_at)}</span>",
                buttons,
            )
        )
    body = (
        "<h2>In evaluation order</h2>"
        + table(("#", "rule", "priority", "may", "from", "decisions"), rows, empty="No rules.")
        + TRY_FORM
        + "<h2>Learned from your answers</h2>"
        + table(
            ("id", "state", "mail from", "does", "source", ""), learned_rows, empty="No learned rules yet."
        )
    )
    return web.Response(
        text=layout("Rules", body, here="/rules", flash=flash_of(request, SAID)), content_type="text/html"
    )


async def change(request: web.Request) -> web.StreamResponse:
    deps = deps_of(request)
    rule_id = int(request.match_info["id"])
    confirm = request.match_info["how"] == "confirm"
    how = learned.confirm if confirm else learned.rollback
    changed, _ = await how(deps.store, rule_id, via="the console")
    if changed and deps.refresh_rules is not None:
        await deps.refresh_rules()
    code = ("confirmed" if confirm else "rolled_back") if changed else "unchanged"
    return see_other(f"/rules?said={code}&q={rule_id}")


async def try_rules(request: web.Request) -> web.StreamResponse:
    """What today's rule files would do with the stored mail of a period, beside what was
    done: no side effect (each message judged in a throw-away store)."""
    deps = deps_of(request)
    since_text = request.query.get("since", "")
    until_text = request.query.get("until", "")
    if not since_text:  # the form alone, to pick the days
        return web.Response(text=layout("Rules", TRY_FORM, here="/rules"), content_type="text/html")
    try:
        since = parse_day(since_text, key="since")
        until = parse_day(until_text, key="until") + timedelta(days=1) if until_text else datetime.now(UTC)
        book = load_rulebook(deps.settings.rules_dir)
    except ConfigError as exc:
        body = f"<p>{e(exc)}</p>"
        return web.Response(text=layout("Rules", body, here="/rules"), content_type="text/html", status=400)
    events = await deps.store.inbox.messages_between(since.timestamp(), until.timestamp(), limit=TRY_LIMIT)
    decided = await deps.store.audit.first_of([ev.id for ev in events])
    differences = await compare(deps.settings, book, events, decided)
    rows = [(e(d.sender), e(d.subject or "(no subject)"), e(d.then), e(d.now)) for d in differences]
    capped = f" (the first {TRY_LIMIT})" if len(events) == TRY_LIMIT else ""
    body = (
        f"<h2>Stored mail from {e(since.date())} to {e((until - timedelta(seconds=1)).date())}</h2>"
        f"<p>{len(events)} messages{capped}: {len(differences)} would be handled differently by the"
        f" rules as they are now, {len(events) - len(differences)} the same.</p>"
        + table(("from", "subject", "then", "now"), rows, empty="Nothing would change.")
        + '<p><a href="/rules">Back to the rules</a></p>'
    )
    return web.Response(text=layout("Rules", body, here="/rules"), content_type="text/html")


ROUTES = [
    ("GET", "/rules", index),
    ("GET", "/rules/try", try_rules),
    ("POST", r"/rules/learned/{id:\d+}/{how:confirm|rollback}", change),
]
