"""Drafts in the owner's own mailbox: a draft reply is APPENDed to the Drafts folder
(flag \\Draft, RFC 3501 2.3.2) with its threading headers, so the owner can send it
from their mail client. Deputy then watches it: found in Sent (by its Message-ID) means
the owner sent it; gone from Drafts and not in Sent means the owner deleted it. Either
is reported as an owner event; nothing is ever sent from here.

Watched drafts live in the connector's state, written after the APPEND and removed only
after the event was emitted (the inbox committed it), so a crash loses no observation.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from bot.channels.contract import Emit, StateStore
from bot.clock import wait_until_set
from bot.delivery import Delivery, OutboundMessage
from bot.errors import PermanentError, TransientError
from bot.events import Event
from connectors.email.compose import ComposeError, compose_bytes
from connectors.email.mail_store import MailStore

log = logging.getLogger(__name__)
_WATCH = "drafts:watch"


class DraftsFolder:
    def __init__(
        self,
        *,
        name: str,
        store: MailStore,
        state: StateStore,
        folder: str,
        sent_folder: str,
        address: str,
        from_name: str,
        check_seconds: float,
    ) -> None:
        self.name = name
        self.store = store
        self.state = state
        self.folder = folder
        self.sent_folder = sent_folder
        self.address = address
        self.from_name = from_name
        self.check_seconds = check_seconds
        self._lock = asyncio.Lock()  # the watch list is read-modify-written
        self._stopping = asyncio.Event()
        # Gone from Drafts, not (yet) in Sent, at the last check: a client may delete the
        # draft a moment before it saves the Sent copy, so "deleted" needs two looks.
        self._missing: set[str] = set()

    async def put(self, delivery: Delivery) -> Mapping[str, str]:
        """APPEND the draft once (a retry finds it by Message-ID) and watch it."""
        if not self.folder:
            return {"skipped": "no drafts_folder configured"}
        try:
            msg = OutboundMessage.from_payload(delivery.payload)
            raw = compose_bytes(msg, from_addr=self.address, from_name=self.from_name)
        except (TypeError, ValueError, ComposeError) as exc:
            raise PermanentError(f"draft: bad payload: {exc}") from exc
        if not await self.store.find(self.folder, msg.message_id):
            await self.store.append(raw, self.folder, flags=r"(\Draft)")
        async with self._lock:
            watched = await self._watched()
            watched[msg.message_id] = str(delivery.payload.get("draft_id", ""))
            await self._save(watched)
        return {"message_id": msg.message_id, "folder": self.folder}

    async def remove(self, delivery: Delivery) -> Mapping[str, str]:
        """The draft was answered elsewhere: stop watching it, then delete the copy so it
        cannot be sent a second time from the mail client."""
        message_id = str(delivery.payload.get("message_id", ""))
        if not self.folder or not message_id:
            return {"skipped": "nothing to remove"}
        async with self._lock:
            watched = await self._watched()
            watched.pop(message_id, None)
            await self._save(watched)
        removed = await self.store.delete(self.folder, message_id)
        return {"message_id": message_id, "removed": str(removed)}

    async def run(self, emit: Emit) -> None:
        """Until ``stop()``: look at every watched draft each ``check_seconds``."""
        while not self._stopping.is_set():
            try:
                await self.check(emit)
            except (TransientError, PermanentError) as exc:
                # The intake's own watcher reports a refused login to the owner; this loop
                # only keeps looking (a draft not yet seen is seen at the next round).
                log.warning("%s: drafts check failed, trying again: %s", self.name, exc)
            except Exception:
                log.exception("%s: drafts check failed unexpectedly, trying again", self.name)
            await wait_until_set(self._stopping, self.check_seconds)

    async def stop(self) -> None:
        self._stopping.set()

    async def check(self, emit: Emit) -> int:
        """Report each watched draft the owner sent or deleted; how many were reported."""
        reported = 0
        for message_id, draft_id in list((await self._watched()).items()):
            sent = await self._sent_copy(message_id)
            if sent is None and await self.store.find(self.folder, message_id):
                self._missing.discard(message_id)
                continue  # still a draft
            if sent is None and message_id not in self._missing:
                self._missing.add(message_id)
                continue  # look again next time
            self._missing.discard(message_id)
            op = "sent_by_owner" if sent is not None else "deleted_by_owner"
            await emit(self._event(message_id, draft_id, op, sent))
            async with self._lock:
                watched = await self._watched()
                watched.pop(message_id, None)
                await self._save(watched)
            reported += 1
        return reported

    async def _sent_copy(self, message_id: str) -> EmailMessage | None:
        if not self.sent_folder:
            return None
        raw = await self.store.fetch_first(self.sent_folder, message_id)
        if raw is None:
            return None
        parsed = message_from_bytes(raw, policy=policy.default)
        return parsed if isinstance(parsed, EmailMessage) else None

    def _event(self, message_id: str, draft_id: str, op: str, sent: EmailMessage | None) -> Event:
        text = ""
        if sent is not None:
            part = sent.get_body(preferencelist=("plain",))
            text = str(part.get_content()).replace("\r\n", "\n") if part is not None else ""
        return Event(
            id=f"{self.name}:draft:{message_id}:{op}",
            channel=self.name,
            kind="owner_answer",
            thread=f"draft:{message_id}",
            sender="owner",
            # Seen in the mailbox Deputy logs into as the owner's: only the owner's mail
            # client changes its Drafts and Sent folders.
            sender_verified_owner=True,
            received_at=datetime.now(UTC),
            text=text,
            refs={
                "draft_message_id": message_id,
                "draft_op": op,
                "draft_id": draft_id,
                "channel_type": "email",
            },
        )

    async def _watched(self) -> dict[str, str]:
        raw = await self.state.get(_WATCH)
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    async def _save(self, watched: dict[str, str]) -> None:
        await self.state.set(_WATCH, json.dumps(watched, sort_keys=True))
