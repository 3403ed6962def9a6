"""Follow-ups: a quiet thread gets the rule's nudge, then the owner hears it went cold;
an answer in between cancels the nudge."""

from __future__ import annotations

import asyncio

from tests.core.helpers import mail


async def fire_timers(deputy) -> None:
    async with deputy.store.db.transaction() as tx:
        await tx.execute("UPDATE timers SET due_at=0 WHERE state='pending' AND kind='follow_up'")
    await deputy.scheduler.tick()
    await deputy.drain()


async def test_quiet_thread_is_nudged_then_reported_cold(daemon) -> None:
    deputy, channel = daemon
    await deputy.emit(mail(sender="pat@client.com", subject="Meeting next week?", thread="T-meet"))
    await deputy.drain()
    assert len(channel.sends()) == 1  # the acknowledgement
    await fire_timers(deputy)
    sends = channel.sends()
    assert len(sends) == 2 and "following up" in sends[1].payload["text"]
    assert sends[1].payload["to"] == ["pat@client.com"]
    await fire_timers(deputy)
    assert len(channel.sends()) == 2  # follow_up.max = 1: no second nudge
    notices = await deputy.store.db.fetchall("SELECT payload FROM outbox WHERE connector='cli'")
    assert any("gone quiet" in n[0] for n in notices)


async def test_answer_cancels_the_nudge(daemon) -> None:
    deputy, channel = daemon
    await deputy.emit(mail(sender="pat@client.com", subject="Meeting next week?", thread="T-meet2"))
    await deputy.drain()
    await deputy.emit(
        mail(sender="pat@client.com", subject="Re: next week", thread="T-meet2", text="Tuesday works.")
    )
    await deputy.drain()
    before = len(channel.sends())
    await fire_timers(deputy)
    await asyncio.sleep(0)
    assert len(channel.sends()) == before
