"""The handler routes an event and hands it to the first desk that claims it: each route
reaches exactly one desk, and a route no desk claims is an error, never a silent drop."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.pipeline.handler import EventHandler
from bot.pipeline.router import Scheduled
from tests.core.helpers import mail
from tests.unit.desk_parts import parts


def handler_for(p) -> EventHandler:  # type: ignore[no-untyped-def]
    return EventHandler(
        store=p.store,
        settings=p.deps.settings,
        rulebook=lambda: p.rulebook,
        executor=p.deps.executor,
        commit=p.deps.commit,
    )


async def test_an_ordinary_message_goes_to_the_judgment_desk(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        handler = handler_for(p)
        claimed = await p.claim(
            mail(sender="ap@acme-supplies.com", subject="Invoice 1", text="Total due: 120.00 EUR")
        )
        route = await handler.route(claimed, p.rulebook)
        claimants = [type(d).__name__ for d in handler.desks if await d.claims(claimed, route)]
        assert claimants[0] == "JudgmentDesk"
        await handler.handle(claimed)
        assert await p.done(claimed)
        assert sorted(await p.outbox_ops()) == ["file", "send"]


async def test_our_own_echo_is_finished_with_nothing_sent(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        handler = handler_for(p)
        claimed = await p.claim(mail(sender="deputy@localhost", subject="Re: Invoice 1"))
        await handler.handle(claimed)
        assert await p.done(claimed) and await p.outbox_ops() == []
        assert (await p.audit()).outcome == "ignored"


async def test_the_owners_command_goes_to_the_owner_desk(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        handler = handler_for(p)
        event = mail(sender="owner", subject="", text="pause", kind="owner_message", channel="cli")
        event = type(event)(
            **{**{f: getattr(event, f) for f in event.__dataclass_fields__}, "sender_verified_owner": True}
        )
        claimed = await p.claim(event)
        route = await handler.route(claimed, p.rulebook)
        claimants = [type(d).__name__ for d in handler.desks if await d.claims(claimed, route)]
        assert claimants[0] == "OwnerDesk"


async def test_a_route_no_desk_claims_is_an_error(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        handler = handler_for(p)
        handler.desks = tuple(d for d in handler.desks if type(d).__name__ != "ScheduledDesk")
        claimed = await p.claim(mail(sender="x@new.com", subject="digest", kind="digest_due"))
        with pytest.raises(RuntimeError, match="no desk claims Scheduled"):
            await handler.dispatch(claimed, p.rulebook, Scheduled("digest_due"), time.perf_counter())
