"""Rules: the rulebook in evaluation order with each rule's record, and the learned
rules to confirm or roll back (the same functions as ``deputy rules confirm|rollback``)."""

from __future__ import annotations

from aiohttp import web

from bot.console.auth import see_other
from bot.console.deps import csrf_of, deps_of
from bot.console.html import e, flash_of, form, layout, table, when
from bot.rules import learned

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


ROUTES = [("GET", "/rules", index), ("POST", r"/rules/learned/{id:\d+}/{how:confirm|rollback}", change)]
