"""Watching one IMAP folder: IDLE (or poll), catch up from the UID cursor, emit.

Ingest, persist, then acknowledge: each message becomes an Event and the cursor
moves only after ``await emit(event)`` returned (the inbox committed it). Emit
order is UID order. Messages are fetched with BODY.PEEK[] so \\Seen is never set,
and \\Seen is never read as "processed": the owner may have read the mail on
their phone, Deputy still has to handle it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.backoff import Backoff
from bot.channels.contract import Emit, emit_page
from bot.clock import wait_until_set
from bot.errors import AuthFailed, PermanentError, TransientError
from bot.events import Event
from bot.faults import fault
from connectors.email.imap_client import Fetched, ImapClient
from connectors.email.parse import ParseLimits, ParseResult, parse_message
from connectors.email.parse_pool import PARSE_POOL
from connectors.email.state import Cursor, CursorStore

log = logging.getLogger(__name__)

Parse = Callable[[bytes, dict[str, str]], ParseResult]


class FolderWatcher:
    def __init__(
        self,
        *,
        connector: str,
        folder: str,
        client_factory: Callable[[], ImapClient],
        cursors: CursorStore,
        parse: Parse,
        emit: Emit,
        idle_renew_seconds: float,
        poll_seconds: float,
        reconnect_max_seconds: float,
        backfill_days: int = 0,
        on_auth_failed: Callable[[str], object] | None = None,
    ) -> None:
        self.connector = connector
        self.folder = folder
        self._factory = client_factory
        self._cursors = cursors
        self._parse = parse
        self._emit = emit
        self._idle_renew = idle_renew_seconds
        self._poll = poll_seconds
        self._backoff = Backoff(base=0.5, cap=reconnect_max_seconds)
        self._backfill_days = backfill_days
        self._on_auth_failed = on_auth_failed
        self._client: ImapClient | None = None
        self.stopping = asyncio.Event()
        self.connects = 0  # for tests and the digest: how often we (re)connected

    async def run(self) -> None:
        """Until stop(): connect, catch up, wait for news; reconnect on any failure."""
        while not self.stopping.is_set():
            client = self._factory()
            self._client = client
            try:
                await client.connect()
                self.connects += 1
                await self._session(client)
            except AuthFailed as exc:
                log.error("%s/%s: %s", self.connector, self.folder, exc)
                if self._on_auth_failed is not None:
                    result = self._on_auth_failed(str(exc))
                    if asyncio.iscoroutine(result):
                        await result
                return
            except PermanentError as exc:
                # e.g. a certificate that fails verification: retrying may help after the
                # server is fixed, but the owner must hear about it (the core says it once a day).
                log.error("%s/%s: %s; retrying with backoff", self.connector, self.folder, exc)
                if self._on_auth_failed is not None:
                    result = self._on_auth_failed(str(exc))
                    if asyncio.iscoroutine(result):
                        await result
            except TransientError as exc:
                log.warning("%s/%s: %s; reconnecting", self.connector, self.folder, exc)
            # Anything else (a bug, a server answer we cannot read) ends the loop: the
            # supervisor restarts it with backoff and the health registry says so.
            finally:
                await client.close()
                self._client = None
            if self.stopping.is_set():
                return
            await self._sleep(self._backoff.next())

    async def stop(self) -> None:
        self.stopping.set()
        client = self._client
        if client is not None:
            client.lost.set()  # wakes an IDLE wait at once

    async def _sleep(self, seconds: float) -> None:
        await wait_until_set(self.stopping, seconds)

    async def _session(self, client: ImapClient) -> None:
        await self.catch_up(client)
        self._backoff.reset()
        use_idle = client.has("IDLE")
        while not self.stopping.is_set():
            pushed = False
            if use_idle:
                pushed = await client.idle(seconds=self._idle_renew)
            else:
                await self._sleep(self._poll)
                if self.stopping.is_set():
                    return
                await client.noop()
            # IDLE wake-ups, renewals and polls all end the same way: catch up.
            await self.catch_up(client, reselect=not pushed)

    async def catch_up(self, client: ImapClient, *, reselect: bool = True) -> None:
        """``reselect`` False (the server just pushed a change to the folder this session
        has selected): search without SELECTing it again, a round trip less between the
        push and the inbox. UIDs and UIDVALIDITY hold for the session (RFC 3501 2.3.1.1).
        Renewals and polls still SELECT: Dovecot tells an IDLE session nothing when its
        folder is deleted and re-created, and only a SELECT then shows the new
        UIDVALIDITY."""
        selected = client.selected
        if reselect or selected is None or selected.name != self.folder:
            info = await client.select(self.folder)
        else:
            info = selected
        cursor = await self._cursors.get(self.folder)
        if cursor is None:
            await self._baseline(client, info.uidvalidity, info.uidnext)
            return
        if cursor.uidvalidity != info.uidvalidity:
            # RFC 3501 2.3.1.1: old UIDs mean nothing now. Start over; the inbox
            # dedupes by Message-ID so nothing already handled is answered twice.
            log.warning(
                "%s/%s: UIDVALIDITY %s -> %s; rescanning",
                self.connector, self.folder, cursor.uidvalidity, info.uidvalidity,
            )  # fmt: skip
            cursor = Cursor(info.uidvalidity, 0)
            await self._cursors.set(self.folder, cursor)
        while True:
            client.saw_exists = False
            uids = await client.uids_after(cursor.last_uid)
            if uids:
                cursor = await self._process(client, uids, cursor)
            if not client.saw_exists or self.stopping.is_set():
                return  # nothing arrived while we were searching and fetching

    async def _baseline(self, client: ImapClient, uidvalidity: int, uidnext: int) -> None:
        """First start: existing mail is history, not work, unless a backfill is set."""
        existing = await client.uids_after(0)
        top = max(existing, default=max(uidnext - 1, 0))
        if self._backfill_days > 0 and existing:
            since = (datetime.now(UTC) - timedelta(days=self._backfill_days)).strftime("%d-%b-%Y")
            recent = [u for u in await client.search("SINCE", since) if u <= top]
            start = Cursor(uidvalidity, min(recent) - 1 if recent else top)
            await self._cursors.set(self.folder, start)
            if recent:
                await self._process(client, recent, start)
        await self._cursors.set(self.folder, Cursor(uidvalidity, top))
        log.info("%s/%s: baseline at UID %s", self.connector, self.folder, top)

    async def _process(self, client: ImapClient, uids: list[int], cursor: Cursor) -> Cursor:
        for start in range(0, len(uids), client.chunk):
            batch = uids[start : start + client.chunk]
            fetched = [f for f in await client.fetch(batch) if f.uid > cursor.last_uid]
            fetched.sort(key=lambda f: f.uid)
            events = []
            for message in fetched:
                fault("after_fetch")
                events.append(await self._event(message, cursor.uidvalidity))
            # The chunk goes to the inbox in one commit; the cursor then moves past what
            # was committed, and only that (a failure is raised after it moved).
            committed, error = await emit_page(self._emit, events)
            if committed:
                cursor = Cursor(cursor.uidvalidity, fetched[committed - 1].uid)
                await self._cursors.set(self.folder, cursor)
            if error is not None:
                raise error
            if self.stopping.is_set():
                break
        return cursor

    async def _event(self, fetched: Fetched, uidvalidity: int) -> Event:
        refs = {
            "uid": str(fetched.uid),
            "mailbox": self.folder,
            "uidvalidity": str(uidvalidity),
        }
        result = await PARSE_POOL.run(self._parse, fetched.raw, refs)  # off the event loop
        if result.event is not None:
            return result.event
        return quarantine_notice(connector=self.connector, reason=result.quarantine_reason, refs=refs)


def quarantine_notice(*, connector: str, reason: str, refs: dict[str, str]) -> Event:
    """A message we refuse to parse still reaches the owner, as a notice."""
    key = f"{refs.get('mailbox', '')}:{refs.get('uidvalidity', '')}:{refs.get('uid', '')}"
    return Event(
        id=f"{connector}:quarantine:{key}",
        channel=connector,
        kind="notice",
        thread=f"quarantine:{key}",
        sender="",
        received_at=datetime.now(UTC),
        subject="An email was quarantined",
        text=f"Message UID {refs.get('uid')} in {refs.get('mailbox')} was not processed: {reason}",
        refs={**refs, "quarantine_reason": reason, "channel_type": "email"},
    )


def make_parser(
    *,
    connector: str,
    own_addresses: tuple[str, ...],
    owner: object,
    authserv_id: str | None,
    owner_plus_secret: str | None,
    max_bytes: int,
) -> Parse:
    limits = ParseLimits(max_bytes=max_bytes)

    def parse(raw: bytes, refs: dict[str, str]) -> ParseResult:
        return parse_message(
            raw,
            connector=connector,
            own_addresses=own_addresses,
            owner=owner,  # type: ignore[arg-type]
            received_at=datetime.now(UTC),
            authserv_id=authserv_id,
            owner_plus_secret=owner_plus_secret,
            extra_refs=refs,
            limits=limits,
        )

    return parse
