"""Telegram Update -> Event. Pure translation: no I/O, no decisions beyond identity.

Owner identity is by numeric user id and only in the private chat with the bot: the
owner speaking in a group is an ordinary participant there (anyone in the group could
be replying, quoting or impersonating a display name).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from telegram import CallbackQuery, Chat, Message, Update, User

from bot.events import Attachment, Event, utcnow

CHANNEL_TYPE = "telegram"


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """What parsing needs to know about who is who."""

    connector: str
    owner_id: int | None
    bot_id: int | None  # our own bot user: its messages are never intake


def is_owner(user: User | None, chat: Chat | None, ident: Identity) -> bool:
    return (
        ident.owner_id is not None
        and user is not None
        and chat is not None
        and user.id == ident.owner_id
        and chat.type == Chat.PRIVATE
        and chat.id == ident.owner_id
    )


def thread_key(message: Message) -> str:
    """Chat id, or chat id and topic for forum topics (each topic is a conversation)."""
    if message.is_topic_message and message.message_thread_id is not None:
        return f"{message.chat_id}:{message.message_thread_id}"
    return str(message.chat_id)


def message_event(update: Update, *, ident: Identity, prompt_reply: bool) -> Event | None:
    """A new message. ``prompt_reply``: it replies to one of our prompts (checked by the
    caller against its own record of prompts sent)."""
    message = update.message
    if message is None or message.from_user is None:
        return None
    user = message.from_user
    if ident.bot_id is not None and user.id == ident.bot_id:
        return None
    refs = _message_refs(message)
    forwarded = is_forward(message)
    # A forward carries someone else's words: from the owner it is a note, never a command
    # (the router keeps it; neither "pause" nor "task:" is obeyed).
    owner = is_owner(user, message.chat, ident) and not forwarded
    if forwarded:
        refs["forwarded"] = "1"
        if is_owner(user, message.chat, ident):
            refs["owner_forward"] = "1"
    kind = "owner_message" if owner else "message"
    reply = message.reply_to_message
    if reply is not None:
        refs["reply_to"] = str(reply.message_id)
        if owner and prompt_reply:
            kind = "owner_answer"
    return Event(
        id=f"{ident.connector}:{update.update_id}",
        channel=ident.connector,
        kind=kind,
        thread=thread_key(message),
        sender=str(user.id),
        sender_name=_name(user),
        sender_verified_owner=owner,
        recipients=() if message.chat.type == Chat.PRIVATE else (f"chat:{message.chat_id}",),
        subject=message.chat.title or "",
        text=message.text or message.caption or "",
        received_at=_when(message.date),
        refs=refs,
        attachments=_attachments(message),
    )


def callback_event(update: Update, *, ident: Identity) -> Event | None:
    """The owner pressed a button on a prompt. Anyone else's press yields None: the
    caller logs and answers it, and nothing reaches the core (a stranger's press is
    never an answer, and its data must not wander into rules as message text)."""
    query = update.callback_query
    if query is None or query.message is None:
        return None
    prompt = query.message  # may be "inaccessible" (older than 48 h): chat and id remain
    if not is_owner(query.from_user, prompt.chat, ident):
        return None
    return Event(
        id=f"{ident.connector}:{update.update_id}",
        channel=ident.connector,
        kind="owner_answer",
        thread=thread_key(prompt) if isinstance(prompt, Message) else str(prompt.chat.id),
        sender=str(query.from_user.id),
        sender_name=_name(query.from_user),
        sender_verified_owner=True,
        text=query.data or "",
        received_at=utcnow(),
        refs={
            "channel_type": CHANNEL_TYPE,
            "button_data": query.data or "",
            "prompt_ref": str(prompt.message_id),
            "chat_id": str(prompt.chat.id),
            "callback_query_id": query.id,
        },
    )


def forged_callback(query: CallbackQuery) -> str:
    """A log line for a button press that is not the owner's."""
    chat = query.message.chat.id if query.message is not None else "?"
    return f"button press from user {query.from_user.id} in chat {chat} ignored: not the owner"


_FORWARD_FIELDS = (
    "forward_origin",
    "forward_from",
    "forward_from_chat",
    "forward_sender_name",
    "forward_date",
)


def is_forward(message: Message) -> bool:
    """Forwarded from elsewhere: ``forward_origin`` (Bot API 7.0) or the older
    ``forward_from`` / ``forward_date`` fields, which python-telegram-bot keeps in
    ``api_kwargs`` when a server still sends them."""
    if message.forward_origin is not None or message.is_automatic_forward:
        return True
    extra = message.api_kwargs or {}
    return any(extra.get(name) for name in _FORWARD_FIELDS)


def _message_refs(message: Message) -> dict[str, str]:
    refs = {
        "channel_type": CHANNEL_TYPE,
        "chat_id": str(message.chat_id),
        "chat_type": message.chat.type,
        "message_id": str(message.message_id),
    }
    if message.is_topic_message and message.message_thread_id is not None:
        refs["message_thread_id"] = str(message.message_thread_id)
    return refs


def _name(user: User) -> str:
    return user.full_name + (f" (@{user.username})" if user.username else "")


def _when(date: datetime | None) -> datetime:
    if date is None:
        return utcnow()
    return date if date.tzinfo else date.replace(tzinfo=UTC)


def _attachments(message: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    if message.document is not None:
        doc = message.document
        found.append(
            Attachment(
                filename=doc.file_name or "document",
                content_type=doc.mime_type or "application/octet-stream",
                size=doc.file_size or 0,
                part_id=doc.file_id,
            )
        )
    if message.photo:
        photo = message.photo[-1]  # the largest size
        found.append(
            Attachment(
                filename="photo.jpg",
                content_type="image/jpeg",
                size=photo.file_size or 0,
                part_id=photo.file_id,
            )
        )
    return tuple(found)
