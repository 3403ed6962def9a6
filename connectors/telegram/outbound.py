"""Deliveries to Telegram: send (split, escaped), prompt (inline keyboard), update_prompt.

All text goes out in HTML parse mode and is escaped: what a correspondent typed is
shown literally, never interpreted as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.channels.contract import StateStore
from bot.delivery import Delivery, OutboundMessage
from bot.errors import InDoubt, PermanentError
from connectors.chat_text import split_text, telegram_html, truncate
from connectors.telegram.errors import is_not_modified, translate

MAX_TEXT = 4096  # UTF-16 units after entity parsing; we split the raw text, then escape
MAX_CALLBACK_DATA = 64  # bytes


class TelegramOutbound:
    """Carries out outbox rows. Multi-part sends remember their progress in the state
    store so that a retry after a failure in part 3 does not repeat parts 1 and 2."""

    def __init__(self, *, bot: Bot, state: StateStore, owner_chat_id: int | None) -> None:
        self._bot = bot
        self._state = state
        self._owner_chat_id = owner_chat_id

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        match delivery.op:
            case "send":
                return await self._send(delivery)
            case "prompt":
                return await self._prompt(delivery)
            case "update_prompt":
                return await self._update_prompt(delivery)
            case _:
                raise PermanentError(f"telegram: unsupported delivery op {delivery.op!r}")

    async def _send(self, delivery: Delivery) -> Mapping[str, str]:
        message = OutboundMessage.from_payload(delivery.payload)
        chat_id = message.refs.get("chat_id") or (message.to[0] if message.to else "")
        if not chat_id:
            raise PermanentError("telegram send: no chat_id in refs and no recipient")
        extra: dict[str, Any] = {}
        if topic := message.refs.get("message_thread_id"):
            extra["message_thread_id"] = int(topic)
        reply_to = message.refs.get("reply_to_message_id") or (
            message.refs.get("message_id") if message.refs.get("chat_type") != "private" else ""
        )
        if reply_to:
            extra["reply_parameters"] = ReplyParameters(
                message_id=int(reply_to), allow_sending_without_reply=True
            )
        ids = await self._send_parts(delivery, chat_id=chat_id, text=message.text, extra=extra)
        return {"chat_id": str(chat_id), "message_id": ids[-1], "message_ids": ",".join(ids)}

    async def _send_parts(
        self,
        delivery: Delivery,
        *,
        chat_id: str | int,
        text: str,
        extra: Mapping[str, Any],
        markup: InlineKeyboardMarkup | None = None,
    ) -> list[str]:
        """Send the parts not yet confirmed. Telegram has no idempotency key for
        sendMessage, so each part is at-most-once: an attempt marker is stored before the
        call and the message id after it. A delivery in doubt (the daemon died during an
        earlier attempt) whose marker shows an unconfirmed part is not resent: the part
        may already be on the recipient's screen. It fails permanently instead, and the
        sender tells the owner."""
        key = delivery.key
        parts = split_text(text, limit=MAX_TEXT, measure="utf16")
        progress_key, attempt_key = f"sent:{key}", f"attempt:{key}"
        done = await self._state.get(progress_key)
        ids = done.split(",") if done else []
        if len(ids) < len(parts) and delivery.in_doubt:
            attempted = await self._state.get(attempt_key)
            if attempted is not None and int(attempted) >= len(ids):
                raise InDoubt(
                    f"telegram sendMessage to chat {chat_id} was interrupted by a stop or "
                    f"crash: it may or may not have arrived, and it is not sent again to "
                    f"avoid a duplicate ({len(ids) + 1}/{len(parts)}: "
                    f"{truncate(parts[len(ids)], limit=200)!r}; key {key})"
                )
        for index, part in enumerate(parts):
            if index < len(ids):
                continue  # sent by an earlier attempt
            last = index == len(parts) - 1
            await self._state.set(attempt_key, str(index))
            try:
                sent = await self._bot.send_message(
                    chat_id=chat_id,
                    text=telegram_html(part),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup if last else None,
                    **extra,
                )
            except TelegramError as exc:
                raise translate(exc, what="sendMessage") from None
            ids.append(str(sent.message_id))
            await self._state.set(progress_key, ",".join(ids))
        return ids

    async def _prompt(self, delivery: Delivery) -> Mapping[str, str]:
        if self._owner_chat_id is None:
            raise PermanentError("telegram prompt: identities.telegram (rules/owner.md) is not configured")
        payload = delivery.payload
        markup = keyboard(payload.get("buttons", ()))
        ids = await self._send_parts(
            delivery,
            chat_id=self._owner_chat_id,
            text=str(payload.get("text", "")),
            extra={},
            markup=markup,
        )
        prompt_ref = ids[-1]
        escalation = str(payload.get("escalation_id", ""))
        await self._state.set(f"prompt:{self._owner_chat_id}:{prompt_ref}", escalation or "1")
        return {"prompt_ref": prompt_ref, "chat_id": str(self._owner_chat_id)}

    async def _update_prompt(self, delivery: Delivery) -> Mapping[str, str]:
        payload = delivery.payload
        chat_id = payload.get("chat_id") or self._owner_chat_id
        prompt_ref = payload.get("prompt_ref")
        if not chat_id or not prompt_ref:
            raise PermanentError("telegram update_prompt: chat_id and prompt_ref are required")
        text = truncate(str(payload.get("text", "")), limit=MAX_TEXT, measure="utf16")
        try:
            # Editing without reply_markup removes the inline keyboard.
            await self._bot.edit_message_text(
                chat_id=chat_id,
                message_id=int(prompt_ref),
                text=telegram_html(text),
                parse_mode=ParseMode.HTML,
            )
        except TelegramError as exc:
            if not is_not_modified(exc):
                raise translate(exc, what="editMessageText") from None
        return {"prompt_ref": str(prompt_ref), "chat_id": str(chat_id)}


def keyboard(buttons: Any) -> InlineKeyboardMarkup | None:
    """One button per row: labels stay readable on a phone. Button data is opaque (it
    carries the core's nonce) and must fit Telegram's 64-byte callback_data."""
    rows = []
    for button in buttons or ():
        label, data = str(button["label"]), str(button["data"])
        if len(data.encode()) > MAX_CALLBACK_DATA:
            raise PermanentError(
                f"telegram prompt: button data for {label!r} exceeds {MAX_CALLBACK_DATA} bytes"
            )
        rows.append([InlineKeyboardButton(text=label, callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None
