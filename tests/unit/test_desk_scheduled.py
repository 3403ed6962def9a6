"""The scheduled desk: the scheduler's and connectors' notices."""

from __future__ import annotations

from pathlib import Path

from bot.desks.scheduled import ScheduledDesk
from bot.pipeline.router import Judge, Scheduled
from tests.core.helpers import mail
from tests.unit.desk_parts import parts


async def test_a_notice_tells_the_owner_and_finishes(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        desk = ScheduledDesk(p.deps)
        claimed = await p.claim(mail(kind="notice", channel="scheduler", text="could not parse a mail"))
        route = await p.route(claimed)
        assert await desk.claims(claimed, route)
        assert not await desk.claims(claimed, Judge(claimed.event, ()))
        await desk.handle(claimed, p.rulebook, route, 0.0)
        entry = await p.audit()
        assert (entry.outcome, entry.actions, entry.sender) == ("scheduled", ("told the owner",), "")
        assert await p.outbox_ops() and await p.done(claimed)
        assert route == Scheduled("notice")
