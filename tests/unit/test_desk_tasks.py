"""The tasks desk claims by route: task orders, task threads, task timers; nothing else."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.desks.tasks import TasksDesk
from bot.pipeline.router import Command, Instruction, Judge, Scheduled
from bot.tasks.runner import TaskRunner
from tests.core.helpers import mail
from tests.unit.desk_parts import parts


async def test_claims_only_what_belongs_to_a_task(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        d = p.deps
        desk = TasksDesk(TaskRunner(store=d.store, settings=d.settings, executor=d.executor, commit=d.commit))
        claimed = await p.claim(mail())
        assert await desk.claims(claimed, Instruction("task: quotes to a@b.c"))
        assert not await desk.claims(claimed, Instruction("call bob"))
        assert not await desk.claims(claimed, Command("pending"))
        assert not await desk.claims(claimed, Judge(claimed.event, ()))  # no task opened this thread
        assert not await desk.claims(claimed, Scheduled("digest_due"))


async def test_a_task_order_is_taken_and_finished(tmp_path: Path) -> None:
    async with parts(tmp_path) as p:
        d = p.deps
        desk = TasksDesk(TaskRunner(store=d.store, settings=d.settings, executor=d.executor, commit=d.commit))
        text = "task: quotes\nto: a@example.com\nrequest: a price for 10 chairs\nbudget: 300 EUR"
        claimed = await p.claim(replace(mail(kind="owner_message", text=text), sender_verified_owner=True))
        route = Instruction(text)
        assert await desk.claims(claimed, route)
        await desk.handle(claimed, p.rulebook, route, 0.0)
        entry = await p.audit()
        assert entry.outcome == "task" and await p.done(claimed)
        assert "send" in await p.outbox_ops()  # the request went out through the outbox
