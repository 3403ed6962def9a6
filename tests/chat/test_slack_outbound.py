"""Slack deliveries: escaping, splitting, prompts with buttons, edits, errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.delivery import Delivery, OutboundMessage
from bot.errors import AuthFailed, ConfigError, PermanentError, TransientError
from bot.owner import OwnerProfile
from connectors import slack as slack_module
from connectors.slack import SlackConnector
from tests.chat.conftest import OWNER_SLACK, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET
from tests.chat.support import Inbox, MemoryState, make_runtime
from tests.fakes.slack_api import EventsClient, FakeSlack

App = tuple[SlackConnector, EventsClient]


def send(text: str, *, channel: str = "C0GENERAL", key: str = "k", **refs: str) -> Delivery:
    message = OutboundMessage(to=(), text=text, refs={"channel": channel, **refs})
    return Delivery(key=key, connector="slack", op="send", payload=message.to_payload())


def prompt(key: str = "p") -> Delivery:
    payload = {
        "escalation_id": "e1",
        "text": "Pay <!channel> invoice?",
        "buttons": [{"label": "Approve", "data": "e1:a:n"}, {"label": "Deny", "data": "e1:d:n"}],
    }
    return Delivery(key=key, connector="slack", op="prompt", payload=payload)


async def test_sender_markup_cannot_mention_or_link(slack_app: App, fake_slack: FakeSlack) -> None:
    connector, _ = slack_app
    hostile = "hey <!channel> <@U0OWNER> <http://evil|click> & *done*"
    receipt = await connector.deliver(send(hostile, thread_ts="171.1"))
    (message,) = fake_slack.posted("C0GENERAL")
    assert message["ts"] == receipt["ts"]
    assert message["thread_ts"] == "171.1"
    assert "<" not in message["text"] and ">" not in message["text"]
    assert message["text"] == ("hey &lt;!channel&gt; &lt;@U0OWNER&gt; &lt;http://evil|click&gt; &amp; *done*")


async def test_long_text_is_split_sensibly(slack_app: App, fake_slack: FakeSlack) -> None:
    connector, _ = slack_app
    text = "\n\n".join(f"Paragraph {i}. " + "lorem ipsum " * 60 for i in range(20))
    receipt = await connector.deliver(send(text))
    parts = [m["text"] for m in fake_slack.posted("C0GENERAL")]
    assert len(parts) == len(receipt["message_ids"].split(",")) > 1
    assert all(len(p) <= 3000 for p in parts)
    assert "".join(parts) == text
    assert all(p.endswith("\n\n") for p in parts[:-1])  # cut at paragraph boundaries


async def test_send_to_a_user_opens_a_dm(slack_app: App, fake_slack: FakeSlack) -> None:
    connector, _ = slack_app
    message = OutboundMessage(to=("U0BOB",), text="hi")
    delivery = Delivery(key="d", connector="slack", op="send", payload=message.to_payload())
    receipt = await connector.deliver(delivery)
    assert receipt["channel"] == "D0BOB"
    assert fake_slack.calls_to("conversations.open")[0].params["users"] == "U0BOB"


async def test_prompt_is_a_dm_with_buttons_then_updated(slack_app: App, fake_slack: FakeSlack) -> None:
    connector, _ = slack_app
    receipt = await connector.deliver(prompt())
    assert receipt["channel"] == "D" + OWNER_SLACK[1:]
    message = fake_slack.messages[(receipt["channel"], receipt["prompt_ref"])]
    section, actions = message["blocks"]
    assert section["text"]["text"] == "Pay &lt;!channel&gt; invoice?"
    assert [b["value"] for b in actions["elements"]] == ["e1:a:n", "e1:d:n"]
    assert len({b["action_id"] for b in actions["elements"]}) == 2
    update = Delivery(
        key="u",
        connector="slack",
        op="update_prompt",
        payload={
            "prompt_ref": receipt["prompt_ref"],
            "channel": receipt["channel"],
            "text": "Approved",
        },
    )
    await connector.deliver(update)
    assert [b["type"] for b in message["blocks"]] == ["section"]
    assert message["text"] == "Approved"


async def test_rate_limit_carries_retry_after(slack_app: App, fake_slack: FakeSlack) -> None:
    connector, _ = slack_app
    fake_slack.fail("chat.postMessage", error="ratelimited", status=429, retry_after=9)
    with pytest.raises(TransientError) as caught:
        await connector.deliver(send("hi"))
    assert caught.value.retry_after == 9


@pytest.mark.parametrize(
    ("error", "status", "expected"),
    [
        ("internal_error", 500, TransientError),
        ("invalid_auth", 200, AuthFailed),
        ("token_revoked", 200, AuthFailed),
        ("channel_not_found", 200, PermanentError),
    ],
)
async def test_error_taxonomy(
    slack_app: App, fake_slack: FakeSlack, error: str, status: int, expected: type[Exception]
) -> None:
    connector, _ = slack_app
    fake_slack.fail("chat.postMessage", error=error, status=status)
    with pytest.raises(expected):
        await connector.deliver(send("hi"))


async def test_partial_send_resumes_without_repeating(slack_app: App, fake_slack: FakeSlack) -> None:
    connector, _ = slack_app
    text = "a" * 2900 + "\n\n" + "b" * 2900 + "\n\n" + "c" * 10
    fake_slack.fail("chat.postMessage", error="internal_error", status=500, after=1)
    with pytest.raises(TransientError):
        await connector.deliver(send(text, key="multi"))
    await connector.deliver(send(text, key="multi"))
    assert "".join(m["text"] for m in fake_slack.posted("C0GENERAL")) == text


def test_socket_mode_is_the_default_and_needs_the_app_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DEPUTY_SLACK_BOT_TOKEN", SLACK_BOT_TOKEN)
    monkeypatch.delenv("DEPUTY_SLACK_APP_TOKEN", raising=False)
    settings = slack_module.SETTINGS.model_validate({})
    assert settings.mode == "socket"
    runtime = make_runtime(
        name="slack", owner=OwnerProfile(), state=MemoryState(), data_dir=tmp_path, tasks=[]
    )
    with pytest.raises(ConfigError, match="DEPUTY_SLACK_APP_TOKEN"):
        slack_module.create(name="slack", settings=settings, runtime=runtime)
    with pytest.raises(ValueError, match=r"extra|unknown"):
        slack_module.SETTINGS.model_validate({"mode": "http", "sigining_secret_env": "X"})


async def test_tokens_never_reach_a_log_record(
    fake_slack: FakeSlack, slack_app: App, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.DEBUG)
    connector, slack = slack_app
    assert await slack.post(slack.message(user="U0X", text="hello")) == 200
    await connector.deliver(send("hi"))
    fake_slack.fail("chat.postMessage", error="invalid_auth")
    with pytest.raises(AuthFailed):
        await connector.deliver(send("hi", key="2"))
    assert caplog.records
    for secret in (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET):
        assert secret not in caplog.text
        assert all(secret not in r.getMessage() for r in caplog.records)
