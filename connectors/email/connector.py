"""The email connector: IMAP intake per folder, SMTP sends, IMAP filing.

It translates and never decides: Events out, Deliveries in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from bot.channels.contract import ConnectorRuntime, Emit
from bot.delivery import Delivery, OutboundMessage
from bot.errors import InDoubt, PermanentError, TransientError
from connectors.email.addresses import read_plus_secret
from connectors.email.compose import ComposeError, compose_bytes
from connectors.email.drafts_folder import DraftsFolder
from connectors.email.imap_client import ImapClient
from connectors.email.intake import FolderWatcher, make_parser
from connectors.email.mail_store import MailStore
from connectors.email.settings import EmailSettings
from connectors.email.smtp_sender import SmtpSender, in_doubt_text
from connectors.email.state import CursorStore, DataMarkers
from connectors.email.tls import client_context

log = logging.getLogger(__name__)


class EmailConnector:
    def __init__(self, *, name: str, settings: EmailSettings, runtime: ConnectorRuntime) -> None:
        self.name = name
        self.settings = settings
        self.runtime = runtime
        self._password = runtime.secret(settings.password_env, key="password_env")
        self._plus_secret = read_plus_secret(runtime, settings.owner_plus_secret_env)
        # Built once (and a bad tls_ca_file is a ConfigError at start, not at first use).
        self._tls = client_context(settings.tls_ca_file, channel=name)
        smtp_password = ""
        if settings.smtp_username:
            env = settings.smtp_password_env or settings.password_env
            smtp_password = runtime.secret(env, key="smtp_password_env")
        self.sender = SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=smtp_password,
            timeout=settings.smtp_timeout_seconds,
            tls_context=self._tls,
        )
        attachments = settings.attachments_dir
        if not attachments.is_absolute():
            attachments = Path(runtime.data_dir) / attachments
        self.store = MailStore(
            client_factory=self.new_client, attachments_dir=attachments, plus_secret=self._plus_secret
        )
        self.data_markers = DataMarkers(runtime.state)
        self.drafts = DraftsFolder(
            name=name,
            store=self.store,
            state=runtime.state,
            folder=settings.drafts_folder,
            sent_folder=settings.sent_folder,
            address=settings.address,
            from_name=settings.from_name,
            check_seconds=settings.drafts_check_seconds,
        )
        self.watchers: list[FolderWatcher] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._stopped = False

    def new_client(self) -> ImapClient:
        s = self.settings
        return ImapClient(
            host=s.imap_host,
            port=s.imap_port,
            security=s.imap_security,
            username=s.username,
            password=self._password,
            timeout=s.command_timeout_seconds,
            chunk=s.fetch_chunk,
            ssl_context=self._tls,
        )

    async def start(self, emit: Emit) -> None:
        s = self.settings
        parse = make_parser(
            connector=self.name,
            own_addresses=tuple({*self.runtime.own_addresses, s.address.lower()}),
            owner=self.runtime.owner,
            authserv_id=s.authserv_id or None,
            owner_plus_secret=self._plus_secret,
            max_bytes=s.max_message_bytes,
        )
        cursors = CursorStore(self.runtime.state)
        for folder in s.folders:
            watcher = FolderWatcher(
                connector=self.name,
                folder=folder,
                client_factory=self.new_client,
                cursors=cursors,
                parse=parse,
                emit=emit,
                idle_renew_seconds=s.idle_renew_seconds,
                poll_seconds=s.poll_seconds,
                reconnect_max_seconds=s.reconnect_max_seconds,
                backfill_days=s.backfill_days,
                on_auth_failed=self.runtime.on_auth_failed,
            )
            self.watchers.append(watcher)
            self._tasks.append(
                self.runtime.supervise(f"{self.name}:imap:{folder}", watcher.run, stopping=watcher.stopping)
            )
        if s.drafts_folder:
            self._tasks.append(self.runtime.spawn(self.drafts.run(emit), f"{self.name}:drafts"))

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for watcher in self.watchers:
            await watcher.stop()
        await self.drafts.stop()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=self.settings.command_timeout_seconds)
            for task in pending:
                task.cancel()
        await self.store.close()

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        if delivery.op == "send":
            return await self._send(delivery)
        if delivery.op == "file":
            return await self.store.file(delivery.payload)
        if delivery.op == "draft":
            return await self.drafts.put(delivery)
        if delivery.op == "draft_delete":
            return await self.drafts.remove(delivery)
        raise PermanentError(f"email connector cannot carry out {delivery.op!r}")

    async def _send(self, delivery: Delivery) -> Mapping[str, str]:
        """Send at most once. A send in doubt (the daemon died during an earlier attempt)
        is looked up in Sent first; if it is not there, the DATA marker tells whether the
        earlier attempt got as far as DATA. If it did, the server may have accepted the
        mail and SMTP cannot say (RFC 5321 has no idempotency), so it is not sent again:
        InDoubt fails the row and the sender tells the owner."""
        s = self.settings
        try:
            msg = OutboundMessage.from_payload(delivery.payload)
        except (TypeError, ValueError) as exc:
            raise PermanentError(f"send: bad payload: {exc}") from exc
        recipients = [addr for _, addr in getaddresses([*msg.to, *msg.cc]) if addr]
        markers, key = self.data_markers, delivery.key
        if delivery.in_doubt:
            # A previous attempt may have gone out: look before sending again.
            if s.sent_folder and msg.message_id and await self.store.find(s.sent_folder, msg.message_id):
                await markers.discard(key)
                return {"message_id": msg.message_id, "found_in_sent": "true"}
            if await markers.has(key):
                raise InDoubt(in_doubt_text(msg, recipients, key=key, sent_folder=s.sent_folder))
        elif await markers.has(key):
            # Left by an earlier attempt whose outcome the outbox recorded (a connection
            # lost during DATA): it says nothing about this attempt, so it must not make a
            # later crash of this one look like a DATA in doubt.
            await markers.discard(key)
        try:
            raw = compose_bytes(
                msg,
                from_addr=msg.from_addr or s.address,
                from_name=msg.from_name or s.from_name,
                sign=self.runtime.sign_mail,
            )
        except ComposeError as exc:
            raise PermanentError(f"send: {exc}") from exc
        await self.sender.send(
            raw,
            sender=s.address,
            recipients=recipients,
            before_data=lambda: markers.add(key),
            data_refused=lambda: self._forget(key),
        )
        receipt = {"message_id": msg.message_id}
        if s.sent_folder:
            try:
                await self.store.append(raw, s.sent_folder)
            except (TransientError, PermanentError) as exc:
                # The mail is gone; failing now would make the outbox send it again.
                log.warning("%s: sent %s but could not copy it to %s: %s",
                            self.name, msg.message_id, s.sent_folder, exc)  # fmt: skip
                receipt["sent_copy"] = "failed"
        # Only now, with the Sent copy in place (it answers a later doubt), is the marker
        # no longer needed. Best effort: a leftover marker only matters if this row is
        # ever in doubt, and then the Sent copy is found first.
        await self._forget(key)
        return receipt

    async def _forget(self, key: str) -> None:
        """Clear a DATA marker, best effort (a leftover one errs towards not resending)."""
        try:
            await self.data_markers.discard(key)
        except Exception:
            log.warning("%s: could not clear the DATA marker of %s", self.name, key, exc_info=True)
