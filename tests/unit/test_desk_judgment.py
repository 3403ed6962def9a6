"""The judgment desk: ordinary messages, and what the filters dropped or refused."""

from __future__ import annotations

from pathlib import Path

from bot.desks.judgment import JudgmentDesk
from bot.pipeline.router import Command, Drop, Judge, Refuse, Scheduled
from tests.core.helpers import mail
from tests.unit.desk_parts import parts


async def test_claims_ordinary_routes_only(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        desk = JudgmentDesk(p.deps)
        claimed = await p.claim(mail())
        assert await desk.claims(claimed, Drop("x"))
        assert await desk.claims(claimed, Refuse("x"))
        assert await desk.claims(claimed, Judge(claimed.event, ()))
        assert not await desk.claims(claimed, Command("pending"))
        assert not await desk.claims(claimed, Scheduled("digest_due"))


async def test_an_invoice_is_filed_and_answered_by_its_rule(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        desk = JudgmentDesk(p.deps)
        claimed = await p.claim(mail(sender="billing@acme-supplies.com", subject="Invoice 12", text="40 EUR"))
        route = await p.route(claimed)
        assert isinstance(route, Judge) and route.rules[0].name == "invoices"
        await desk.handle(claimed, p.rulebook, route, 0.0)
        entry = await p.audit()
        assert (entry.outcome, entry.rule) == ("handled", "invoices")
        assert sorted(await p.outbox_ops()) == ["file", "send"]
        assert await p.done(claimed)


async def test_paused_autonomy_holds_the_reply_for_the_owner(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        await p.store.kv.set("paused", "1")
        desk = JudgmentDesk(p.deps)
        claimed = await p.claim(mail(sender="billing@acme-supplies.com", subject="Invoice 13", text="40 EUR"))
        await desk.handle(claimed, p.rulebook, await p.route(claimed), 0.0)
        entry = await p.audit()
        assert entry.outcome == "escalated"
        assert "send" not in await p.outbox_ops()
        (esc,) = await p.store.escalations.open()
        assert esc.question.startswith("Autonomy is paused.")


async def test_a_drop_finishes_with_nothing_sent(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        claimed = await p.claim(mail())
        await JudgmentDesk(p.deps).handle(claimed, p.rulebook, Drop("duplicate"), 0.0)
        entry = await p.audit()
        assert (entry.outcome, entry.reasons) == ("ignored", ("duplicate",))
        assert await p.outbox_ops() == [] and await p.done(claimed)


async def test_mail_not_addressed_to_us_is_kept_with_that_reason_not_as_automatic(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        desk = JudgmentDesk(p.deps)
        claimed = await p.claim(
            mail(subject="Lunch on Friday?", text="Are you free?", to=("carol@else.example",))
        )
        route = await p.route(claimed)
        assert isinstance(route, Judge) and not route.rules
        await desk.handle(claimed, p.rulebook, route, 0.0)
        entry = await p.audit()
        assert entry.outcome == "kept"
        assert "not addressed to us in To/Cc" in entry.reasons[0]
        assert "automatic" not in entry.reasons[0]
        assert await p.outbox_ops() == []
