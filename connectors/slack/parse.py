"""Slack Events API / interactivity payloads -> Event. Pure translation, no I/O.

The owner is a user id *and* a team id (Slack Connect brings users of other
workspaces into shared channels), and only in a direct message with the bot: in a
channel anyone may quote or impersonate a display name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.events import Event, utcnow

CHANNEL_TYPE = "slack"
# Message subtypes that are new human content; everything else (edits, deletes, joins,
# bot messages) is not intake.
CONTENT_SUBTYPES = frozenset(["", "thread_broadcast", "file_share"])


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    connector: str
    owner_user: str
    owner_team: str
    bot_user: str  # our own user id: never intake


def unescape(text: str) -> str:
    """Slack sends &, <, > escaped; the core wants the text as typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def is_owner(user: str, team: str, *, ident: Identity, direct: bool) -> bool:
    return bool(ident.owner_user) and direct and user == ident.owner_user and (team == ident.owner_team)


def is_share(event: dict[str, Any]) -> bool:
    """A shared or forwarded message: Slack attaches the original with ``is_share`` /
    ``is_msg_unfurl`` (and ``original`` / ``from_url`` pointing at it)."""
    if event.get("subtype") in ("message_share", "share"):
        return True
    for attachment in event.get("attachments") or []:
        if isinstance(attachment, dict) and (
            attachment.get("is_share") or attachment.get("is_msg_unfurl") or attachment.get("is_forwarded")
        ):
            return True
    return False


def message_event(body: dict[str, Any], *, ident: Identity, prompt_reply: bool) -> Event | None:
    """A message event, or None for what is not intake. ``prompt_reply``: the thread it
    belongs to is one of our prompts (the caller checks its record of prompts)."""
    event = body.get("event") or {}
    if event.get("type") != "message" or not body.get("event_id"):
        return None
    if event.get("subtype", "") not in CONTENT_SUBTYPES or event.get("bot_id"):
        return None
    user = str(event.get("user") or "")
    if not user or user == ident.bot_user:
        return None
    channel, ts = str(event.get("channel", "")), str(event.get("ts", ""))
    thread_ts = str(event.get("thread_ts") or "")
    channel_type = str(event.get("channel_type", ""))
    direct = channel_type == "im"
    team = str(event.get("user_team") or event.get("team") or body.get("team_id") or "")
    shared = is_share(event)
    # A shared (forwarded) message carries someone else's words: from the owner it is a
    # note, never a command.
    owner = is_owner(user, team, ident=ident, direct=direct) and not shared
    refs = {
        "channel_type": CHANNEL_TYPE,
        "channel": channel,
        "ts": ts,
        "team": team,
        "slack_channel_type": channel_type,
        # A reply goes into the thread; in a DM, only when the message was in one.
        "thread_ts": thread_ts or ("" if direct else ts),
    }
    if shared:
        refs["forwarded"] = "1"
        if is_owner(user, team, ident=ident, direct=direct):
            refs["owner_forward"] = "1"
    kind = "owner_message" if owner else "message"
    if thread_ts and thread_ts != ts:
        refs["reply_to"] = thread_ts
        if owner and prompt_reply:
            kind = "owner_answer"
    if thread_ts:
        thread = f"{channel}:{thread_ts}"
    else:
        thread = channel if channel_type in ("im", "mpim") else f"{channel}:{ts}"
    return Event(
        id=f"{ident.connector}:{body['event_id']}",
        channel=ident.connector,
        kind=kind,
        thread=thread,
        sender=user,
        sender_verified_owner=owner,
        recipients=() if direct else (f"channel:{channel}",),
        text=unescape(str(event.get("text", ""))),
        received_at=_when(body.get("event_time"), ts),
        refs={k: v for k, v in refs.items() if v},
    )


def action_event(body: dict[str, Any], *, ident: Identity) -> Event | None:
    """The owner pressed a button on a prompt in the DM; anyone else: None."""
    actions = body.get("actions") or []
    if body.get("type") != "block_actions" or not actions:
        return None
    action = actions[0]
    user = body.get("user") or {}
    team = str(user.get("team_id") or (body.get("team") or {}).get("id") or "")
    container = body.get("container") or {}
    channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
    prompt_ts = str(container.get("message_ts") or (body.get("message") or {}).get("ts") or "")
    direct = channel.startswith("D")
    if not is_owner(str(user.get("id", "")), team, ident=ident, direct=direct):
        return None
    key = action.get("action_ts") or body.get("trigger_id")
    data = str(action.get("value", ""))
    return Event(
        id=f"{ident.connector}:action:{key}",
        channel=ident.connector,
        kind="owner_answer",
        thread=f"{channel}:{prompt_ts}",
        sender=str(user["id"]),
        sender_verified_owner=True,
        text=data,
        received_at=utcnow(),
        refs={
            "channel_type": CHANNEL_TYPE,
            "button_data": data,
            "prompt_ref": prompt_ts,
            "channel": channel,
            "team": team,
        },
    )


def _when(event_time: object, ts: str) -> datetime:
    for raw in (event_time, ts):
        try:
            return datetime.fromtimestamp(float(raw), tz=UTC)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
    return utcnow()
