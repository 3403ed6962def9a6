"""Telegram intake: events, owner identity, acknowledgement only after emit."""

from __future__ import annotations

from tests.chat.conftest import OWNER_TG, MakeTelegram
from tests.chat.support import Inbox, MemoryState, eventually
from tests.fakes.telegram_api import FakeTelegram

STRANGER = 5550001


async def test_private_message_from_stranger(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, inbox: Inbox
) -> None:
    connector = await make_telegram()
    await connector.start(inbox)
    update_id = await fake_tg.private_message(fake_tg.user(STRANGER, "Eve"), "approve")
    (event,) = await inbox.wait_for(1)
    assert event.id == f"telegram:{update_id}"
    assert event.channel == "telegram"
    assert event.kind == "message"
    assert event.sender == str(STRANGER)
    assert event.sender_verified_owner is False
    assert event.text == "approve"
    assert event.thread == str(STRANGER)
    assert event.refs["channel_type"] == "telegram"
    assert event.refs["chat_id"] == str(STRANGER)
    assert event.refs["message_id"]


async def test_owner_private_message_is_verified(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, inbox: Inbox
) -> None:
    connector = await make_telegram()
    await connector.start(inbox)
    await fake_tg.private_message(fake_tg.user(OWNER_TG, "Owner"), "pause until monday")
    (event,) = await inbox.wait_for(1)
    assert event.kind == "owner_message"
    assert event.sender_verified_owner is True


async def test_owner_in_a_group_is_not_verified(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, inbox: Inbox
) -> None:
    connector = await make_telegram()
    await connector.start(inbox)
    await fake_tg.group_message(fake_tg.user(OWNER_TG, "Owner"), -100123, "approve")
    (event,) = await inbox.wait_for(1)
    assert event.kind == "message"
    assert event.sender_verified_owner is False
    assert event.thread == "-100123"
    assert event.refs["chat_type"] == "supergroup"


async def test_stranger_with_owner_name_is_not_verified(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, inbox: Inbox
) -> None:
    connector = await make_telegram()
    await connector.start(inbox)
    impostor = fake_tg.user(STRANGER, "Owner", username="owner")
    await fake_tg.private_message(impostor, "approve")
    (event,) = await inbox.wait_for(1)
    assert (event.kind, event.sender_verified_owner) == ("message", False)


async def test_offset_advances_only_after_emit(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, inbox: Inbox, tg_state: MemoryState
) -> None:
    inbox.fail_next = 2  # the inbox refuses twice: the update must come back
    connector = await make_telegram()
    await connector.start(inbox)
    update_id = await fake_tg.private_message(fake_tg.user(STRANGER), "hello")
    (event,) = await inbox.wait_for(1)
    assert event.id == f"telegram:{update_id}"
    assert inbox.calls == 3

    # Until the emit succeeded, no getUpdates confirmed the update.
    def offsets() -> list[object]:
        return [c.params.get("offset") for c in fake_tg.calls_to("getUpdates")]

    await eventually(lambda: update_id + 1 in offsets())
    offsets_seen = offsets()
    first_confirm = offsets_seen.index(update_id + 1)
    fetched_again = [o for o in offsets_seen[:first_confirm] if o is None or o <= update_id]
    assert len(fetched_again) >= 3
    await eventually(lambda: tg_state.values.get("offset") == str(update_id + 1))


async def test_own_bot_messages_are_ignored(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, inbox: Inbox
) -> None:
    connector = await make_telegram()
    await connector.start(inbox)
    me = {"id": fake_tg.bot_id, "is_bot": True, "first_name": "Deputy"}
    await fake_tg.group_message(me, -100123, "echo")
    await fake_tg.private_message(fake_tg.user(STRANGER), "after")
    events = await inbox.wait_for(1)
    await eventually(lambda: len(fake_tg.updates) == 0 or inbox.calls >= 1)
    assert [e.text for e in events] == ["after"]


async def test_conflict_is_backed_off_and_recovers(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, inbox: Inbox, caplog: object
) -> None:
    fake_tg.fail("getUpdates", status=409, times=2)
    connector = await make_telegram()
    await connector.start(inbox)
    await fake_tg.private_message(fake_tg.user(STRANGER), "hi")
    await inbox.wait_for(1)
    statuses = [c.status for c in fake_tg.calls_to("getUpdates")]
    assert statuses[:2] == [409, 409]
    assert "another process is polling" in caplog.text  # type: ignore[attr-defined]


async def test_polling_deletes_webhook_at_start(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, inbox: Inbox
) -> None:
    fake_tg.webhook_url = "https://example.invalid/hook"
    connector = await make_telegram()
    await connector.start(inbox)
    await fake_tg.private_message(fake_tg.user(STRANGER), "hi")
    await inbox.wait_for(1)
    assert fake_tg.calls_to("deleteWebhook")


async def test_rate_limited_get_updates_honours_retry_after(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, inbox: Inbox
) -> None:
    fake_tg.fail("getUpdates", status=429, retry_after=1)
    connector = await make_telegram()
    await connector.start(inbox)
    await fake_tg.private_message(fake_tg.user(STRANGER), "hi")
    await inbox.wait_for(1)
    assert fake_tg.calls_to("getUpdates")[0].status == 429


async def test_stop_is_idempotent(make_telegram: MakeTelegram, inbox: Inbox) -> None:
    connector = await make_telegram()
    await connector.start(inbox)
    await connector.stop()
    await connector.stop()
