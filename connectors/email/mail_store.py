"""The mailbox operations deliveries need: filing, Sent lookups and copies.

One IMAP connection behind a lock, opened lazily and reopened after any failure;
intake uses its own connections so a long filing batch never delays an IDLE.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.errors import PermanentError
from bot.faults import fault
from connectors.email.attachments import save_attachments
from connectors.email.imap_client import ImapClient


class MailStore:
    def __init__(
        self,
        *,
        client_factory: Callable[[], ImapClient],
        attachments_dir: Path,
        plus_secret: str | None = None,
    ) -> None:
        self._factory = client_factory
        self._plus_secret = plus_secret  # scrubbed from every attachment written to disk
        self._client: ImapClient | None = None
        self._lock = asyncio.Lock()
        self._created: set[str] = set()
        self._attachments_dir = attachments_dir

    async def _connected(self) -> ImapClient:
        if self._client is not None and self._client.connected:
            return self._client
        if self._client is not None:
            await self._client.close()
        client = self._factory()
        await client.connect()
        self._client = client
        self._created.clear()
        return client

    async def close(self) -> None:
        async with self._lock:
            if self._client is not None:
                await self._client.close()
                self._client = None

    async def _ensure_folder(self, client: ImapClient, folder: str) -> None:
        if folder not in self._created:
            await client.create(folder)
            self._created.add(folder)

    # -- Sent folder -----------------------------------------------------------

    async def find(self, folder: str, message_id: str) -> list[int]:
        async with self._lock:
            client = await self._connected()
            await self._ensure_folder(client, folder)
            await client.select(folder)
            return await client.search_message_id(message_id)

    async def append(self, raw: bytes, folder: str, *, flags: str = r"(\Seen)") -> None:
        async with self._lock:
            client = await self._connected()
            await self._ensure_folder(client, folder)
            await client.append(raw, folder, flags=flags)

    async def fetch_first(self, folder: str, message_id: str) -> bytes | None:
        """The first message of ``folder`` with this Message-ID, as stored."""
        async with self._lock:
            client = await self._connected()
            await self._ensure_folder(client, folder)
            await client.select(folder)
            uids = await client.search_message_id(message_id)
            fetched = await client.fetch(uids[:1]) if uids else []
            return fetched[0].raw if fetched else None

    async def delete(self, folder: str, message_id: str) -> int:
        """Delete every message of ``folder`` with this Message-ID; how many."""
        async with self._lock:
            client = await self._connected()
            await self._ensure_folder(client, folder)
            await client.select(folder)
            uids = await client.search_message_id(message_id)
            await client.delete(uids)
            return len(uids)

    # -- filing ----------------------------------------------------------------

    async def file_many(
        self, uids: Sequence[int], *, mailbox: str, folder: str, flags: Sequence[str] = ()
    ) -> int:
        """Move many UIDs of one mailbox at once: chunked UID MOVE (RFC 6851)."""
        async with self._lock:
            client = await self._connected()
            await self._ensure_folder(client, folder)
            await client.select(mailbox)
            await client.add_flags(uids, flags)
            if mailbox != folder:
                await client.move(uids, folder)
            return len(uids)

    async def file(self, payload: Mapping[str, Any]) -> dict[str, str]:
        folder = str(payload.get("folder") or "").strip()
        if not folder:
            raise PermanentError("file: no folder given")
        mailbox = str(payload.get("mailbox") or "INBOX")
        flags = [str(f) for f in payload.get("flags") or []]
        uid = int(payload.get("uid") or 0)
        uidvalidity = str(payload.get("uidvalidity") or "")
        message_id = str(payload.get("message_id") or "")
        want_attachments = bool(payload.get("save_attachments"))
        async with self._lock:
            client = await self._connected()
            await self._ensure_folder(client, folder)
            info = await client.select(mailbox)
            uids: list[int] = []
            if uid and uidvalidity == str(info.uidvalidity):
                uids = [u for u in await client.search("UID", str(uid)) if u == uid]
            if not uids and message_id:
                uids = await client.search_message_id(message_id)  # moved or renumbered
            source = mailbox
            if not uids and message_id and folder != mailbox:
                await client.select(folder)  # already filed? then this is a success
                uids = await client.search_message_id(message_id)
                source = folder
            if not uids:
                raise PermanentError(f"file: message {message_id or uid} not found in {mailbox}")
            saved: list[Path] = []
            if want_attachments:
                for fetched in await client.fetch(uids[:1]):
                    saved = await asyncio.to_thread(
                        save_attachments,
                        fetched.raw,
                        directory=self._attachments_dir,
                        secret=self._plus_secret,
                        message_id=message_id or f"{uidvalidity}:{uid}",
                    )
            await client.add_flags(uids, flags)
            if source != folder:
                await client.move(uids, folder)
                fault("after_imap_move")
            return {
                "folder": folder,
                "moved": str(len(uids) if source != folder else 0),
                "already_filed": "true" if source == folder else "false",
                "saved": json.dumps([str(p) for p in saved]),
            }
