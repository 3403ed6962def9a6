"""The scheduled desk: the scheduler's and connectors' notices."""

from __future__ import annotations

import time
from pathlib import Path

from bot.actions import Escalate
from bot.desks.scheduled import ScheduledDesk
from bot.pipeline.router import Judge, Scheduled
from bot.store.escalations import Escalations
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


async def test_the_first_digest_with_nothing_to_report_is_not_sent(tmp_path: Path) -> None:
    """On a first start nothing was done, nothing waits and nothing is scheduled: a
    digest that would say only "Nothing." is not sent, and the log says why."""
    async with parts(tmp_path) as p:
        desk = ScheduledDesk(p.deps)
        claimed = await p.claim(mail(kind="digest_due", channel="scheduler", text=""))
        await desk.handle(claimed, p.rulebook, await p.route(claimed), 0.0)
        entry = await p.audit()
        assert entry.actions == ("no digest: nothing to report",)
        assert await p.outbox_ops() == [] and await p.done(claimed)


async def test_a_digest_with_a_waiting_question_is_sent(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        desk = ScheduledDesk(p.deps)
        asked = await p.claim(mail(subject="Something no rule covers", text="What do you think?"))
        async with p.store.db.transaction() as tx:
            await Escalations.create_in(
                tx,
                key="ask-1",
                action=Escalate(question="Should I answer this?", reason="no rule"),
                event=asked.event,
                thread=asked.event.thread,
                rule="",
                deadline=time.time() + 3600,
            )
        claimed = await p.claim(mail(kind="digest_due", channel="scheduler", text=""))
        await desk.handle(claimed, p.rulebook, await p.route(claimed), 0.0)
        (row,) = await p.store.db.fetchall("SELECT payload FROM outbox")
        assert "Should I answer this?" in row["payload"]
        assert "sent the digest" in (await p.store.audit.recent())[0].actions
