"""The owner's desk: commands and answers, with the owner's authority."""

from __future__ import annotations

from pathlib import Path

from bot.desks.owner import OwnerDesk
from bot.pipeline.router import Answer, Command, Instruction, Judge, Scheduled
from tests.core.helpers import mail
from tests.unit.desk_parts import parts


async def test_claims_the_owners_routes_only(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        desk = OwnerDesk(p.deps)
        claimed = await p.claim(mail())
        assert await desk.claims(claimed, Command("pending"))
        assert await desk.claims(claimed, Instruction("call bob"))
        assert not await desk.claims(claimed, Judge(claimed.event, ()))
        assert not await desk.claims(claimed, Scheduled("digest_due"))


async def test_pause_command_pauses_and_tells_the_owner(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        claimed = await p.claim(mail(kind="owner_message", text="pause"))
        await OwnerDesk(p.deps).handle(claimed, p.rulebook, Command("pause"), 0.0)
        assert await p.store.kv.get("paused") == "1"
        entry = await p.audit()
        assert (entry.outcome, entry.reasons) == ("owner", ("command pause",))
        assert await p.outbox_ops() and await p.done(claimed)


async def test_an_answer_applies_the_chosen_option_once(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        await p.store.kv.set("paused", "1")
        from bot.desks.judgment import JudgmentDesk

        first = await p.claim(mail(sender="billing@acme-supplies.com", subject="Invoice 14", text="40 EUR"))
        await JudgmentDesk(p.deps).handle(first, p.rulebook, await p.route(first), 0.0)
        (esc,) = await p.store.escalations.open()
        answer = await p.claim(mail(kind="owner_answer", text="1"))
        route = Answer(escalation=esc, text="1", option=0, via="local")
        await OwnerDesk(p.deps).handle(answer, p.rulebook, route, 0.0)
        assert await p.store.escalations.open() == []
        entries = {e.event_id: e for e in await p.store.audit.recent()}
        assert entries[answer.event.id].outcome == "answered"
        assert "send" in await p.outbox_ops()
