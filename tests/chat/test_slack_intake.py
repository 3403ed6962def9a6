"""Slack intake over the HTTP Events API: signatures, identity, retries, buttons."""

from __future__ import annotations

import time

from connectors.slack import SlackConnector
from tests.chat.conftest import OWNER_SLACK, TEAM
from tests.chat.support import Inbox
from tests.fakes.slack_api import EventsClient, FakeSlack

App = tuple[SlackConnector, EventsClient]
STRANGER = "U0STRANGER"


async def test_stranger_dm_is_a_message(slack_app: App, inbox: Inbox) -> None:
    _, slack = slack_app
    payload = slack.message(user=STRANGER, text="approve &lt;b&gt;", channel="D0STR")
    assert await slack.post(payload) == 200
    (event,) = inbox.events
    assert event.id == f"slack:{payload['event_id']}"
    assert (event.kind, event.sender, event.sender_verified_owner) == ("message", STRANGER, False)
    assert event.text == "approve <b>"
    assert event.thread == "D0STR"
    assert event.refs["channel_type"] == "slack"
    assert event.refs["channel"] == "D0STR"
    assert event.refs["team"] == TEAM


async def test_owner_dm_is_verified(slack_app: App, inbox: Inbox) -> None:
    _, slack = slack_app
    assert await slack.post(slack.message(user=OWNER_SLACK, text="pause")) == 200
    (event,) = inbox.events
    assert (event.kind, event.sender_verified_owner) == ("owner_message", True)


async def test_owner_user_id_from_another_team_is_not_verified(slack_app: App, inbox: Inbox) -> None:
    _, slack = slack_app
    await slack.post(slack.message(user=OWNER_SLACK, text="approve", team="T0OTHER"))
    (event,) = inbox.events
    assert (event.kind, event.sender_verified_owner) == ("message", False)


async def test_owner_in_a_channel_is_not_verified(slack_app: App, inbox: Inbox) -> None:
    _, slack = slack_app
    await slack.post(
        slack.message(user=OWNER_SLACK, text="approve", channel="C0GENERAL", channel_type="channel")
    )
    (event,) = inbox.events
    assert (event.kind, event.sender_verified_owner) == ("message", False)
    assert event.thread == f"C0GENERAL:{event.refs['ts']}"
    assert event.refs["thread_ts"] == event.refs["ts"]  # a reply goes into a thread


async def test_bad_signature_and_stale_timestamp_are_refused(slack_app: App, inbox: Inbox) -> None:
    _, slack = slack_app
    payload = slack.message(user=OWNER_SLACK, text="approve")
    assert await slack.post(payload, secret="not-the-secret") == 401
    assert await slack.post(payload, timestamp=int(time.time()) - 600) == 401
    assert inbox.calls == 0


async def test_bot_edits_deletes_and_own_messages_are_ignored(
    slack_app: App, inbox: Inbox, fake_slack: FakeSlack
) -> None:
    _, slack = slack_app
    ignored = [
        slack.message(user="U0BOT", text="beep", subtype="bot_message", bot_id="B0OTHER"),
        slack.message(user=STRANGER, text="edit", subtype="message_changed"),
        slack.message(user=STRANGER, text="gone", subtype="message_deleted"),
        slack.message(user=fake_slack.bot_user, text="our own", bot_id=fake_slack.bot_id),
        slack.message(user=STRANGER, text="hi", bot_id="B0INTEGRATION"),
    ]
    for payload in ignored:
        assert await slack.post(payload) == 200
    assert inbox.events == []


async def test_retries_and_duplicates_emit_once(slack_app: App, inbox: Inbox) -> None:
    _, slack = slack_app
    payload = slack.message(user=STRANGER, text="once")
    assert await slack.post(payload) == 200
    assert await slack.post(payload, retry_num=1) == 200
    assert await slack.post(payload, retry_num=2) == 200
    assert await slack.post(payload) == 200
    assert len(inbox.events) == 1
    assert inbox.calls == 1


async def test_emit_failure_is_not_acked_and_the_retry_lands(slack_app: App, inbox: Inbox) -> None:
    _, slack = slack_app
    inbox.fail_next = 1
    payload = slack.message(user=STRANGER, text="retry me")
    assert await slack.post(payload) != 200
    assert inbox.events == []
    assert await slack.post(payload, retry_num=1) == 200
    assert [e.text for e in inbox.events] == ["retry me"]


async def test_owner_button_press_is_an_answer(slack_app: App, inbox: Inbox) -> None:
    _, slack = slack_app
    payload = slack.button(
        user=OWNER_SLACK, team=TEAM, channel="D0OWNER", message_ts="171.000001", value="esc:a:n"
    )
    assert await slack.post(payload) == 200
    (event,) = inbox.events
    assert event.id == f"slack:action:{payload['actions'][0]['action_ts']}"
    assert event.kind == "owner_answer"
    assert event.sender_verified_owner is True
    assert event.refs["button_data"] == "esc:a:n"
    assert event.refs["prompt_ref"] == "171.000001"
    assert event.refs["channel"] == "D0OWNER"


async def test_forged_button_presses_are_dropped(slack_app: App, inbox: Inbox) -> None:
    _, slack = slack_app
    forged = [
        slack.button(user=STRANGER, team=TEAM, channel="D0OWNER", message_ts="1.1", value="x"),
        slack.button(user=OWNER_SLACK, team="T0OTHER", channel="D0OWNER", message_ts="1.1", value="x"),
        slack.button(user=OWNER_SLACK, team=TEAM, channel="C0GENERAL", message_ts="1.1", value="x"),
    ]
    for payload in forged:
        assert await slack.post(payload) == 200  # acked, so Slack stops the spinner
    assert inbox.events == []


async def test_owner_thread_reply_under_a_prompt_is_an_answer(
    slack_app: App, inbox: Inbox, fake_slack: FakeSlack
) -> None:
    from bot.delivery import Delivery

    connector, slack = slack_app
    receipt = await connector.deliver(
        Delivery(
            key="p",
            connector="slack",
            op="prompt",
            payload={"escalation_id": "e1", "text": "Pay?", "buttons": []},
        )
    )
    channel, ts = receipt["channel"], receipt["prompt_ref"]
    await slack.post(slack.message(user=OWNER_SLACK, text="only 150", channel=channel, thread_ts=ts))
    await slack.post(slack.message(user=OWNER_SLACK, text="new topic", channel=channel, thread_ts="9.9"))
    answer, other = inbox.events
    assert (answer.kind, answer.refs["reply_to"]) == ("owner_answer", ts)
    assert answer.thread == f"{channel}:{ts}"
    assert other.kind == "owner_message"
