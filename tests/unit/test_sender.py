"""bot.effects.sender: transient retry, permanent failure with one owner notice in the same
commit, and a failed notice to the owner re-routed once, never in a loop.

The owner's notices are written by the real ``OwnerRows.owner_notice_in`` (as the
daemon does, bot/app.py); the channels are recording connectors at the far edge."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bot.channels.registry import ChannelRegistry
from bot.config import Settings
from bot.effects.owner_messages import OwnerRows
from bot.effects.sender import Sender
from bot.errors import InDoubt, PermanentError, TransientError
from bot.owner import OwnerProfile
from bot.store import OutboxRow, Store
from tests.unit.conftest import RecordingChannel, rows

OWNER = OwnerProfile(preferred_channel="tg", fallback_channels=("cli",), identities={"telegram": "4242"})


class Setup:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.local = RecordingChannel("local")
        self.tg = RecordingChannel("tg")
        self.cli = RecordingChannel("cli")
        self.owner_rows = OwnerRows(
            settings=Settings(),
            channels=ChannelRegistry.of_types({"local": "local", "tg": "telegram", "cli": "cli"}),
        )
        self.notices: list[str] = []
        self.sender = Sender(
            store=store,
            connectors={"local": self.local, "tg": self.tg, "cli": self.cli},
            notice_in=self.notice_in,
            max_attempts=3,
            idle_poll_seconds=0.01,
        )

    async def notice_in(
        self, tx: Any, *, key: str, text: str, skip: tuple[str, ...] = (), escalation_id: int | None = None
    ) -> None:
        self.notices.append(key)
        await self.owner_rows.owner_notice_in(
            tx, owner=OWNER, key=key, event_id="system", text=text, skip=skip, escalation_id=escalation_id
        )

    async def add(
        self, key: str, *, connector: str = "local", thread: str = "local:t1", op: str = "send"
    ) -> None:
        async with self.store.db.transaction() as tx:
            await self.store.outbox.add_in(
                tx,
                OutboxRow(
                    key=key,
                    event_id="local:t1:1",
                    connector=connector,
                    op=op,
                    payload={"to": ["someone@example.com"], "text": f"text of {key}"},
                    thread=thread,
                ),
            )

    async def run_until(self, cond: Callable[[], Any]) -> None:
        loop = asyncio.create_task(self.sender.run())
        try:
            for _ in range(1000):
                if await cond():
                    break
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("condition never held")
            await self.sender.drain()
        finally:
            await self.sender.stop()
            await loop

    async def outbox(self) -> dict[str, dict[str, Any]]:
        got = await rows(self.store, "SELECT key, connector, thread, state, attempts, last_error FROM outbox")
        return {r["key"]: r for r in got}

    async def settled(self) -> bool:
        return all(r["state"] in ("sent", "failed") for r in (await self.outbox()).values())


@pytest.fixture
def setup(store: Store) -> Setup:
    return Setup(store)


async def test_a_delivery_is_sent_and_recorded(setup: Setup) -> None:
    await setup.add("k1")
    await setup.run_until(setup.settled)
    assert [d.key for d in setup.local.delivered] == ["k1"]
    assert (await setup.outbox())["k1"]["state"] == "sent"
    assert setup.notices == []


async def test_a_transient_error_is_retried(setup: Setup) -> None:
    setup.local.fail_next = 2
    setup.local.fail_with = TransientError("try again", retry_after=0.0)
    await setup.add("k1")
    await setup.run_until(setup.settled)
    row = (await setup.outbox())["k1"]
    assert row["state"] == "sent" and row["attempts"] == 3
    assert setup.local.calls == 3 and [d.key for d in setup.local.delivered] == ["k1"]
    assert setup.notices == []


async def test_a_transient_error_past_max_attempts_fails_with_one_notice(setup: Setup) -> None:
    setup.local.fail_next = 100
    setup.local.fail_with = TransientError("still down", retry_after=0.0)
    await setup.add("k1")
    await setup.run_until(setup.settled)
    out = await setup.outbox()
    assert out["k1"]["state"] == "failed" and setup.local.calls == 3
    assert len(setup.notices) == 1 and setup.notices[0].startswith("delivery-failed:")
    assert [d.payload["text"] for d in setup.tg.delivered] == [
        "I gave up delivering a message through local after 3 attempts in 0 s: still down"
    ]


async def test_a_permanent_failure_fails_the_row_and_tells_the_owner_once(setup: Setup) -> None:
    setup.local.fail_next = 1
    setup.local.fail_with = PermanentError("no such mailbox")
    await setup.add("k1")
    await setup.run_until(setup.settled)
    out = await setup.outbox()
    assert out["k1"]["state"] == "failed" and out["k1"]["last_error"] == "no such mailbox"
    notices = [r for k, r in out.items() if k != "k1"]
    assert len(notices) == 1
    assert notices[0]["connector"] == "tg" and notices[0]["thread"] == "owner:tg"
    assert notices[0]["state"] == "sent"
    assert [d.payload["text"] for d in setup.tg.delivered] == [
        "A message through local cannot be delivered: no such mailbox"
    ]
    assert setup.local.calls == 1  # a permanent error is not retried


async def test_the_failure_and_its_notice_are_one_commit(setup: Setup) -> None:
    """When the notice cannot be written, the row is not marked failed either."""
    setup.local.fail_next = 1
    setup.local.fail_with = PermanentError("no such mailbox")

    async def broken_notice_in(tx: Any, **_: Any) -> None:
        await setup.store.outbox.mark_failed_in(tx, "k1", error="written, then rolled back")
        raise RuntimeError("notice store broken")

    setup.sender.notice_in = broken_notice_in
    await setup.add("k1")
    [(delivery, thread, escalation_id)] = await setup.store.outbox.claim(limit=1, busy_threads=set())
    with pytest.raises(RuntimeError):
        await setup.sender.work((delivery, thread, escalation_id))
    out = await setup.outbox()
    assert list(out) == ["k1"]
    assert out["k1"]["state"] == "sending"  # nothing of the failed commit is visible


async def test_a_failed_notice_to_the_owner_is_rerouted_once(setup: Setup) -> None:
    setup.local.fail_next = 1
    setup.local.fail_with = PermanentError("no such mailbox")
    setup.tg.fail_next = 100
    setup.tg.fail_with = PermanentError("bot blocked")
    await setup.add("k1")
    await setup.run_until(setup.settled)
    out = await setup.outbox()
    assert len(out) == 3  # the row, its notice on tg, the notice re-routed to cli
    by_connector = {r["connector"]: r for k, r in out.items() if k != "k1"}
    assert by_connector["tg"]["state"] == "failed"
    assert by_connector["cli"]["state"] == "sent"
    assert setup.tg.calls == 1
    [rerouted] = setup.cli.delivered
    assert rerouted.key.startswith("fallback:")
    assert str(rerouted.payload["text"]).startswith("(I could not reach you through tg: bot blocked)")


async def test_a_failed_reroute_is_only_logged_and_never_loops(setup: Setup) -> None:
    for channel in (setup.tg, setup.cli):
        channel.fail_next = 100
        channel.fail_with = PermanentError("unreachable")
    await setup.add("q1", connector="tg", thread="owner:tg", op="prompt")
    await setup.run_until(setup.settled)
    out = await setup.outbox()
    assert len(out) == 2  # the owner's row and one re-route; nothing about the re-route
    assert {r["state"] for r in out.values()} == {"failed"}
    assert setup.tg.calls == 1 and setup.cli.calls == 1
    assert len(setup.notices) == 1 and setup.notices[0].startswith("fallback:")


async def test_a_row_for_a_missing_channel_fails_with_a_notice(setup: Setup) -> None:
    await setup.add("k1", connector="gone")
    await setup.run_until(setup.settled)
    out = await setup.outbox()
    assert out["k1"]["state"] == "failed"
    assert out["k1"]["last_error"] == "no enabled channel named 'gone'"
    assert len(setup.tg.delivered) == 1


async def test_a_send_left_in_doubt_is_told_on_the_owners_usual_channel(setup: Setup) -> None:
    """A crash, not the channel, hid the outcome: the channel works, so the notice goes
    where the owner reads (tg), not to the console log at the end of the line."""
    setup.tg.fail_next = 1
    setup.tg.fail_with = InDoubt("sendMessage to chat 9004 was interrupted; not sent again")
    await setup.add("k1", connector="tg", thread="tg:9004")
    await setup.run_until(setup.settled)
    out = await setup.outbox()
    assert out["k1"]["state"] == "failed" and out["k1"]["last_error"].startswith("in doubt:")
    assert out["in-doubt:k1"]["connector"] == "tg" and out["in-doubt:k1"]["state"] == "sent"
    assert setup.cli.delivered == []


async def test_an_owner_prompt_left_in_doubt_is_shown_again_on_the_same_channel(setup: Setup) -> None:
    setup.tg.fail_next = 1
    setup.tg.fail_with = InDoubt("sendMessage to chat 4242 was interrupted")
    await setup.add("q1", connector="tg", thread="owner:tg", op="prompt")
    await setup.run_until(setup.settled)
    out = await setup.outbox()
    [again] = [r for k, r in out.items() if k.startswith("fallback:")]
    assert again["connector"] == "tg" and again["state"] == "sent"
    [shown] = [d for d in setup.tg.delivered if d.key.startswith("fallback:")]
    assert str(shown.payload["text"]).startswith("(A crash interrupted this message through tg")
    assert "text of q1" in str(shown.payload["text"])
