"""Telegram deliveries: escaping, splitting, prompts with buttons, edits, errors."""

from __future__ import annotations

import pytest

from bot.delivery import Delivery, OutboundMessage
from bot.errors import AuthFailed, PermanentError, TransientError
from tests.chat.conftest import OWNER_TG, MakeTelegram
from tests.chat.support import Inbox, eventually
from tests.fakes.telegram_api import FakeTelegram

STRANGER = 5550001


def send(text: str, *, chat_id: int, key: str = "k1") -> Delivery:
    message = OutboundMessage(to=(str(chat_id),), text=text, refs={"chat_id": str(chat_id)})
    return Delivery(key=key, connector="telegram", op="send", payload=message.to_payload())


def prompt(text: str = "Pay invoice 42?", key: str = "p1") -> Delivery:
    payload = {
        "escalation_id": "esc-1",
        "text": text,
        "buttons": [
            {"label": "Approve", "data": "esc-1:a:n0nce"},
            {"label": "Deny", "data": "esc-1:d:n0nce"},
        ],
    }
    return Delivery(key=key, connector="telegram", op="prompt", payload=payload)


async def test_markup_from_a_sender_is_shown_literally(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram
) -> None:
    connector = await make_telegram()
    hostile = "<b>urgent</b> & <a href='http://evil'>click</a> *bold* _it_ [x](y) `c` \\"
    receipt = await connector.deliver(send(hostile, chat_id=OWNER_TG))
    shown = fake_tg.messages[(OWNER_TG, int(receipt["message_id"]))]
    assert shown["text"] == hostile
    assert shown["parse_mode"] == "HTML"


async def test_long_text_is_split_within_the_limit(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram
) -> None:
    connector = await make_telegram()
    paragraph = ("word " * 199 + "end.\n\n") * 10  # ~10,000 characters
    text = paragraph + "<tail> 😀" * 300
    receipt = await connector.deliver(send(text, chat_id=OWNER_TG))
    ids = [int(i) for i in receipt["message_ids"].split(",")]
    assert len(ids) >= 4
    parts = [fake_tg.messages[(OWNER_TG, i)]["text"] for i in ids]
    assert "".join(parts) == text
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in parts)


async def test_part_failure_then_retry_sends_each_part_once(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram
) -> None:
    connector = await make_telegram()
    text = "a" * 4000 + "\n\n" + "b" * 4000 + "\n\n" + "c" * 100
    delivery = send(text, chat_id=OWNER_TG, key="multi")
    fake_tg.fail("sendMessage", status=500, after=1)  # part 1 goes out, part 2 fails
    with pytest.raises(TransientError):
        await connector.deliver(delivery)
    receipt = await connector.deliver(delivery)
    texts = [fake_tg.messages[(OWNER_TG, int(i))]["text"] for i in receipt["message_ids"].split(",")]
    assert "".join(texts) == text
    ok_sends = [c for c in fake_tg.calls_to("sendMessage") if c.status == 200]
    assert len(ok_sends) == 3


async def test_prompt_with_buttons_then_update(fake_tg: FakeTelegram, make_telegram: MakeTelegram) -> None:
    connector = await make_telegram()
    receipt = await connector.deliver(prompt())
    assert receipt["chat_id"] == str(OWNER_TG)
    message = fake_tg.messages[(OWNER_TG, int(receipt["prompt_ref"]))]
    keyboard = message["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in keyboard] == [
        ["esc-1:a:n0nce"],
        ["esc-1:d:n0nce"],
    ]
    update = Delivery(
        key="u1",
        connector="telegram",
        op="update_prompt",
        payload={
            "prompt_ref": receipt["prompt_ref"],
            "chat_id": receipt["chat_id"],
            "text": "Approved <by you>",
        },
    )
    await connector.deliver(update)
    assert message["text"] == "Approved <by you>"
    assert "reply_markup" not in message
    await connector.deliver(update)  # idempotent: "message is not modified" is success


async def test_button_data_over_64_bytes_is_refused(make_telegram: MakeTelegram) -> None:
    connector = await make_telegram()
    bad = prompt()
    bad.payload["buttons"] = [{"label": "Go", "data": "x" * 65}]
    with pytest.raises(PermanentError):
        await connector.deliver(bad)


async def test_owner_button_press_is_an_answer_and_is_answered(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, inbox: Inbox
) -> None:
    connector = await make_telegram()
    await connector.start(inbox)
    receipt = await connector.deliver(prompt())
    owner = fake_tg.user(OWNER_TG, "Owner")
    await fake_tg.press(owner, OWNER_TG, int(receipt["prompt_ref"]), "esc-1:a:n0nce")
    (event,) = await inbox.wait_for(1)
    assert event.kind == "owner_answer"
    assert event.sender_verified_owner is True
    assert event.refs["button_data"] == "esc-1:a:n0nce"
    assert event.refs["prompt_ref"] == receipt["prompt_ref"]
    assert event.refs["chat_id"] == str(OWNER_TG)
    await eventually(lambda: bool(fake_tg.calls_to("answerCallbackQuery")))
    answered = fake_tg.calls_to("answerCallbackQuery")
    assert [c.params["callback_query_id"] for c in answered] == [event.refs["callback_query_id"]]


async def test_forged_button_press_from_another_user_is_not_an_answer(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, inbox: Inbox
) -> None:
    connector = await make_telegram()
    await connector.start(inbox)
    receipt = await connector.deliver(prompt())
    stranger = fake_tg.user(STRANGER, "Owner")
    await fake_tg.press(stranger, OWNER_TG, int(receipt["prompt_ref"]), "esc-1:a:n0nce")
    await fake_tg.private_message(fake_tg.user(STRANGER), "marker")
    events = await inbox.wait_for(1)
    assert [(e.kind, e.text) for e in events] == [("message", "marker")]
    assert not any(e.sender_verified_owner for e in events)
    # The spinner stops for them too (after the page they came in is committed).
    await eventually(lambda: bool(fake_tg.calls_to("answerCallbackQuery")))


async def test_owner_reply_to_prompt_is_an_answer(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, inbox: Inbox
) -> None:
    connector = await make_telegram()
    await connector.start(inbox)
    receipt = await connector.deliver(prompt())
    owner = fake_tg.user(OWNER_TG, "Owner")
    await fake_tg.private_message(owner, "yes, but only 150", reply_to=int(receipt["prompt_ref"]))
    await fake_tg.private_message(owner, "unrelated", reply_to=999999)
    first, second = await inbox.wait_for(2)
    assert first.kind == "owner_answer"
    assert first.refs["reply_to"] == receipt["prompt_ref"]
    assert second.kind == "owner_message"


async def test_rate_limit_raises_transient_with_retry_after(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram
) -> None:
    connector = await make_telegram()
    fake_tg.fail("sendMessage", status=429, retry_after=7)
    with pytest.raises(TransientError) as caught:
        await connector.deliver(send("hi", chat_id=OWNER_TG))
    assert caught.value.retry_after == 7


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TransientError),
        (502, TransientError),
        (401, AuthFailed),
        (400, PermanentError),
        (403, PermanentError),
    ],
)
async def test_error_taxonomy(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, status: int, error: type[Exception]
) -> None:
    connector = await make_telegram()
    fake_tg.fail("sendMessage", status=status)
    with pytest.raises(error):
        await connector.deliver(send("hi", chat_id=OWNER_TG))


async def test_unknown_chat_is_permanent(make_telegram: MakeTelegram) -> None:
    connector = await make_telegram()
    with pytest.raises(PermanentError):
        await connector.deliver(send("hi", chat_id=123))


async def test_in_doubt_delivery_is_at_most_once(
    fake_tg: FakeTelegram, make_telegram: MakeTelegram, tg_state
) -> None:
    """Telegram has no idempotency for sendMessage. A delivery that was confirmed
    before the crash is not sent again; one whose attempt started but was never
    confirmed is not resent either (it fails, and the core tells the owner); one whose
    attempt never started is sent normally."""
    import dataclasses

    connector = await make_telegram()
    # 1. confirmed, then the crash hit before the outbox recorded "sent"
    first = send("hello", chat_id=OWNER_TG, key="confirmed")
    receipt = await connector.deliver(first)
    again = await connector.deliver(dataclasses.replace(first, in_doubt=True))
    assert again["message_id"] == receipt["message_id"]
    # 2. attempt started, outcome unknown: not resent
    tg_state.values["attempt:unknown"] = "0"
    with pytest.raises(PermanentError, match="not sent again"):
        await connector.deliver(
            dataclasses.replace(send("maybe", chat_id=OWNER_TG, key="unknown"), in_doubt=True)
        )
    # 3. in doubt, but no attempt was ever made: sent once
    await connector.deliver(
        dataclasses.replace(send("never tried", chat_id=OWNER_TG, key="fresh"), in_doubt=True)
    )
    texts = [str(c.params["text"]) for c in fake_tg.calls_to("sendMessage")]
    assert texts == ["hello", "never tried"]
