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


# Every Deputy marks what it sends Auto-Submitted (RFC 3834); a verified peer's answer
# is a person's all the same (bot/peers), also when the follow-up looks back at it.
PEER_HEADERS = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}


async def _asked_and_answered_by_a_deputy(deputy, thread: str, *, verified: bool) -> None:
    await deputy.emit(mail(sender="pat@client.com", subject="Meeting next week?", thread=thread))
    await deputy.drain()
    answer = mail(
        sender="pat@client.com",
        subject="Re: next week",
        thread=thread,
        text="Tuesday works.",
        headers=PEER_HEADERS,
    )
    if verified:  # what the router's peer step records for a signature it verified
        await deputy.store.peer_messages.claim(answer.refs["message_id"], peer="pat", event_id=answer.id)
    await deputy.emit(answer)
    await deputy.drain()


async def test_a_verified_peers_answer_cancels_the_nudge(daemon) -> None:
    deputy, channel = daemon
    await _asked_and_answered_by_a_deputy(deputy, "T-peer", verified=True)
    before = len(channel.sends())
    await fire_timers(deputy)
    assert len(channel.sends()) == before
    (row,) = await deputy.store.db.fetchall("SELECT actions FROM audit WHERE reasons LIKE '%follow_up%'")
    assert "the thread has an answer" in row[0]


async def test_the_same_answer_unverified_is_machine_mail_and_the_nudge_goes(daemon) -> None:
    deputy, channel = daemon
    await _asked_and_answered_by_a_deputy(deputy, "T-nopeer", verified=False)
    before = len(channel.sends())
    await fire_timers(deputy)
    assert len(channel.sends()) == before + 1 and "following up" in channel.sends()[-1].payload["text"]
