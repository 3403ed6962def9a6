"""Deliveries to Slack: send (split, escaped), prompt (DM with Block Kit buttons),
update_prompt (chat.update without the buttons).

Text is escaped (&, <, >) everywhere, in ``text`` and in mrkdwn blocks, so a
correspondent's ``<!channel>`` or ``<http://evil|click>`` is shown as typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.contract import StateStore
from bot.delivery import Delivery, OutboundMessage
from bot.errors import PermanentError
from connectors.chat_text import slack_escape, split_text, truncate
from connectors.slack.errors import translate

MAX_BUTTON_VALUE = 2000
MAX_BUTTON_LABEL = 75
MAX_SECTIONS = 45  # 50 blocks per message, leaving room for the actions block


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(text)}}


def buttons_block(buttons: Any) -> dict[str, Any] | None:
    elements = []
    for index, button in enumerate(buttons or ()):
        label, data = str(button["label"]), str(button["data"])
        if len(data) > MAX_BUTTON_VALUE:
            raise PermanentError(f"slack prompt: button data for {label!r} is too long")
        elements.append(
            {
                "type": "button",
                "action_id": f"deputy_answer_{index}",
                "text": {"type": "plain_text", "text": truncate(label, limit=MAX_BUTTON_LABEL)},
                "value": data,
            }
        )
    return {"type": "actions", "block_id": "deputy_answer", "elements": elements} if elements else None


class SlackOutbound:
    def __init__(
        self, *, client: AsyncWebClient, state: StateStore, owner_user: str, chunk_chars: int
    ) -> None:
        self._client = client
        self._state = state
        self._owner_user = owner_user
        self._chunk = chunk_chars

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        match delivery.op:
            case "send":
                return await self._send(delivery)
            case "prompt":
                return await self._prompt(delivery)
            case "update_prompt":
                return await self._update_prompt(delivery)
            case _:
                raise PermanentError(f"slack: unsupported delivery op {delivery.op!r}")

    async def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return await self._client.api_call(method, json=kwargs)
        except Exception as exc:
            raise translate(exc, what=method) from None

    async def _open_dm(self, user: str) -> str:
        try:
            response = await self._client.conversations_open(users=user)
        except Exception as exc:
            raise translate(exc, what="conversations.open") from None
        return str(response["channel"]["id"])

    async def _send(self, delivery: Delivery) -> Mapping[str, str]:
        message = OutboundMessage.from_payload(delivery.payload)
        channel = message.refs.get("channel", "")
        if not channel and message.to:
            target = message.to[0]
            # A user id gets a DM; anything else is taken as a conversation id.
            channel = await self._open_dm(target) if target[:1] in "UW" else target
        if not channel:
            raise PermanentError("slack send: no channel in refs and no recipient")
        thread_ts = message.refs.get("thread_ts", "")
        progress_key = f"sent:{delivery.key}"
        done = await self._state.get(progress_key)
        sent = done.split(",") if done else []
        parts = split_text(message.text, limit=self._chunk)
        for index, part in enumerate(parts):
            if index < len(sent):
                continue
            kwargs: dict[str, Any] = {"channel": channel, "text": slack_escape(part)}
            if thread_ts:
                kwargs["thread_ts"] = thread_ts
            response = await self._call("chat.postMessage", **kwargs)
            sent.append(str(response["ts"]))
            if index < len(parts) - 1:
                await self._state.set(progress_key, ",".join(sent))
        return {"channel": channel, "ts": sent[-1], "message_ids": ",".join(sent)}

    async def _prompt(self, delivery: Delivery) -> Mapping[str, str]:
        if not self._owner_user:
            raise PermanentError("slack prompt: identities.slack (rules/owner.md) is not configured")
        payload = delivery.payload
        text = str(payload.get("text", ""))
        blocks = [section(p) for p in split_text(text, limit=self._chunk)][:MAX_SECTIONS]
        actions = buttons_block(payload.get("buttons", ()))
        if actions is not None:
            blocks.append(actions)
        channel = await self._open_dm(self._owner_user)
        response = await self._call(
            "chat.postMessage",
            channel=channel,
            text=slack_escape(truncate(text, limit=self._chunk)),
            blocks=blocks,
        )
        ts = str(response["ts"])
        escalation = str(payload.get("escalation_id", ""))
        await self._state.set(f"prompt:{channel}:{ts}", escalation or "1")
        return {"prompt_ref": ts, "channel": channel}

    async def _update_prompt(self, delivery: Delivery) -> Mapping[str, str]:
        payload = delivery.payload
        channel, ts = str(payload.get("channel", "")), str(payload.get("prompt_ref", ""))
        if not channel or not ts:
            raise PermanentError("slack update_prompt: channel and prompt_ref are required")
        text = str(payload.get("text", ""))
        blocks = [section(p) for p in split_text(text, limit=self._chunk)][:MAX_SECTIONS]
        await self._call(
            "chat.update",
            channel=channel,
            ts=ts,
            text=slack_escape(truncate(text, limit=self._chunk)),
            blocks=blocks,
        )
        return {"prompt_ref": ts, "channel": channel}
