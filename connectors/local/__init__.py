"""Local mode, the embedded default: Deputy's own inbox is an SMTP listener on
127.0.0.1, and its outgoing mail goes to a relay when one is configured, otherwise into
a local Maildir. No account anywhere is needed to try Deputy end to end.

Intake follows DESIGN.md step 1: the raw message is written to disk and the event is
committed to the inbox *before* the SMTP client gets its 250, so mail that was accepted
is never lost; a client that saw no 250 retries, and the inbox dedupes on Message-ID.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import BaseModel, ConfigDict, Field

from bot.channels.contract import Capabilities, ConnectorRuntime, Emit
from bot.delivery import Delivery, OutboundMessage
from bot.errors import InDoubt, PermanentError, StorageLost
from bot.events import Event
from bot.faults import fault
from connectors.connection_cap import ConnectionCap
from connectors.email.addresses import read_plus_secret, strip_plus_secret
from connectors.email.compose import compose
from connectors.email.parse import parse_message
from connectors.email.parse_pool import PARSE_POOL
from connectors.email.scrub import scrub_raw
from connectors.email.smtp_sender import SmtpSender, in_doubt_text
from connectors.email.state import DataMarkers
from connectors.local.listener import ListenerSMTP

log = logging.getLogger("deputy.local")


class LocalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=2525, ge=0, le=65535)
    address: str = "deputy@localhost"  # our From address
    from_name: str = "Deputy"
    max_message_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    # Connections held at once; at the cap the idlest is closed for a new one
    # (connectors/connection_cap.py).
    max_connections: int = Field(default=100, ge=1, le=10_000)
    # RFC 5321 4.5.3.2.7: a server should wait at least 5 minutes for the next command.
    idle_timeout_seconds: float = Field(default=300.0, gt=0)
    mail_dir: Path = Path("mail")  # under data_dir: received mail, filed by folder
    outbox_dir: Path = Path("outbox")  # under data_dir: Maildir for outgoing mail
    relay_host: str = ""  # set to send real mail through an SMTP relay
    relay_port: int = 587
    relay_security: Literal["starttls", "tls", "none"] = "starttls"
    relay_username: str = ""
    relay_password_env: str = ""
    # Owner verification (see the email channel): mail counts as the owner's only with a
    # passing DKIM/DMARC result from this authserv-id, or when sent to deputy+SECRET@...
    authserv_id: str = ""
    owner_plus_secret_env: str = ""


SETTINGS = LocalSettings
CAPABILITIES = Capabilities(mail=True, threads=True)
SAFE_FOLDER = re.compile(r"[^A-Za-z0-9 ._-]+")


def _folder(root: Path, name: str) -> Path:
    parts = [SAFE_FOLDER.sub("_", p).strip(" .") or "_" for p in re.split(r"[/\\]", name) if p]
    return root.joinpath(*parts) if parts else root / "_"


class _Handler:
    def __init__(self, connector: LocalConnector) -> None:
        self.connector = connector

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        try:
            # RFC 5321 4.5.5: MAIL FROM:<> (a bounce) arrives as mail_from "" or "<>".
            return await self.connector.receive(
                raw, rcpt=tuple(envelope.rcpt_tos), mail_from=envelope.mail_from or ""
            )
        except StorageLost as exc:  # RFC 3463 4.3.0: a transient mail system problem
            return f"451 4.3.0 {exc}"[:500]
        except Exception:
            log.exception("local inbox: could not store a message")
            return "451 4.3.0 Temporary failure, please retry"


class LocalConnector:
    def __init__(self, *, name: str, settings: LocalSettings, runtime: ConnectorRuntime) -> None:
        self.name = name
        self.settings = settings
        self.runtime = runtime
        self.mail_root = runtime.data_dir / settings.mail_dir
        self.outbox_root = runtime.data_dir / settings.outbox_dir
        self._server: asyncio.base_events.Server | None = None
        self.cap: ConnectionCap | None = None
        self._emit: Emit | None = None
        self.port = settings.listen_port
        self.data_markers = DataMarkers(runtime.state)

    async def start(self, emit: Emit) -> None:
        self._emit = emit
        for sub in ("tmp", "new", "cur"):
            (self.outbox_root / sub).mkdir(parents=True, exist_ok=True)
        (self.mail_root / "INBOX").mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        handler = _Handler(self)
        s = self.settings
        cap = ConnectionCap(
            name=f"{self.name}: SMTP {s.listen_host}:{s.listen_port}",
            max_connections=s.max_connections,
            idle_timeout=s.idle_timeout_seconds,
            # RFC 5321 3.8: 421 before the server closes the channel.
            full_goodbye=b"421 4.7.0 deputy.local Too many connections, closing the idlest\r\n",
            idle_goodbye=b"421 4.4.2 deputy.local Idle for too long, closing\r\n",
        )
        self.cap = cap
        self._server = await loop.create_server(
            cap.factory(
                lambda: ListenerSMTP(
                    handler,
                    data_size_limit=s.max_message_bytes,
                    hostname="deputy.local",
                    enable_SMTPUTF8=True,
                    timeout=2 * s.idle_timeout_seconds,  # a backstop: the cap's timer bites first
                )
            ),
            host=self.settings.listen_host,
            port=self.settings.listen_port,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("local inbox listening on %s:%d", self.settings.listen_host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.close()
            await server.wait_closed()

    async def receive(self, raw: bytes, *, rcpt: tuple[str, ...], mail_from: str | None = None) -> str:
        assert self._emit is not None
        digest, path, wrote = await PARSE_POOL.run(self._keep, raw)
        result = await PARSE_POOL.run(
            parse_message,
            raw,
            connector=self.name,
            own_addresses=self.runtime.own_addresses,
            owner=self.runtime.owner,
            received_at=datetime.now(UTC),
            authserv_id=self.settings.authserv_id or None,
            owner_plus_secret=self._plus_secret(),
            extra_refs={
                "path": str(path.relative_to(self.mail_root)),
                "channel_type": "local",
                "envelope_to": " ".join(strip_plus_secret(r, self._plus_secret()) for r in rcpt),
                **({"envelope_from": mail_from.strip() or "<>"} if mail_from is not None else {}),
            },
        )
        fault("after_fetch")
        event = result.event
        if event is None:
            event = Event(
                id=f"{self.name}:unparsed:{digest}",
                channel=self.name,
                kind="notice",
                thread="quarantine",
                sender="",
                received_at=datetime.now(UTC),
                subject="unreadable mail",
                text=f"A message could not be read and was kept at {path}: {result.quarantine_reason}",
            )
        new = await self._emit(event)
        if not new and wrote and self._filed_elsewhere(path):
            # A client that never saw our 250 sent the same mail again after it had been
            # handled and filed: the copy we just wrote would linger in INBOX forever.
            path.unlink(missing_ok=True)
        return "250 OK: stored"

    def _keep(self, raw: bytes) -> tuple[str, Path, bool]:
        """Write the raw message into INBOX (on a pool thread: it may be 25 MB)."""
        digest = hashlib.sha256(raw).hexdigest()[:32]
        path = self.mail_root / "INBOX" / f"{digest}.eml"
        wrote = not path.exists()
        if wrote:
            tmp = path.with_suffix(".tmp")
            # The owner's plus-address secret is read from ``raw`` (parse_message) and
            # never kept: the copy on disk says deputy+redacted@.
            tmp.write_bytes(scrub_raw(raw, self._plus_secret()))
            os.replace(tmp, path)
        return digest, path, wrote

    def _filed_elsewhere(self, path: Path) -> bool:
        return any(p != path for p in self.mail_root.rglob(path.name))

    def _plus_secret(self) -> str | None:
        return read_plus_secret(self.runtime, self.settings.owner_plus_secret_env)

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        if delivery.op == "send":
            return await self._send(delivery)
        if delivery.op == "file":
            return self._file(delivery.payload)
        raise PermanentError(f"local channel cannot do {delivery.op!r}")

    async def _send(self, delivery: Delivery) -> Mapping[str, str]:
        message = OutboundMessage.from_payload(delivery.payload)
        email = compose(
            message,
            from_addr=message.from_addr or self.settings.address,
            from_name=message.from_name or self.settings.from_name,
            sign=self.runtime.sign_mail,
        )
        data = email.as_bytes()
        if self.settings.relay_host:
            return await self._relay(data, message, delivery)
        tag = hashlib.sha256(delivery.key.encode()).hexdigest()[:24]
        if delivery.in_doubt and any((self.outbox_root / "new").glob(f"*.{tag}.deputy*")):
            return {"message_id": message.message_id, "note": "already in the outbox Maildir"}
        # Maildir delivery: write in tmp/, then rename into new/ (atomic on one filesystem).
        name = f"{time.time_ns()}.{tag}.deputy"
        tmp = self.outbox_root / "tmp" / name
        tmp.write_bytes(data)
        os.replace(tmp, self.outbox_root / "new" / name)
        fault("after_smtp_data")
        return {"message_id": message.message_id, "path": str(self.outbox_root / "new" / name)}

    async def _relay(self, data: bytes, message: OutboundMessage, delivery: Delivery) -> Mapping[str, str]:
        """Hand the mail to the relay at most once, like the email channel (which see):
        there is no Sent folder to look in, so a send in doubt whose earlier attempt
        reached DATA (its marker is there) is not repeated; InDoubt tells the owner."""
        s = self.settings
        recipients = [addr for _, addr in getaddresses([*message.to, *message.cc]) if addr]
        markers, key = self.data_markers, delivery.key
        if await markers.has(key):
            if delivery.in_doubt:
                raise InDoubt(in_doubt_text(message, recipients, key=key))
            await markers.discard(key)  # an earlier attempt's, whose outcome was recorded
        password = (
            self.runtime.secret(s.relay_password_env, key="relay_password_env")
            if s.relay_password_env
            else ""
        )
        relay = SmtpSender(
            host=s.relay_host,
            port=s.relay_port,
            security=s.relay_security,
            username=s.relay_username,
            password=password,
            timeout=60.0,
        )
        await relay.send(
            data,
            sender=s.address,
            recipients=recipients,
            before_data=lambda: markers.add(key),
            data_refused=lambda: self._forget(key),
        )
        await self._forget(key)
        return {"message_id": message.message_id}

    async def _forget(self, key: str) -> None:
        """Clear a DATA marker, best effort (a leftover one errs towards not resending)."""
        try:
            await self.data_markers.discard(key)
        except Exception:
            log.warning("local relay: could not clear the DATA marker of %s", key, exc_info=True)

    def _file(self, payload: Mapping[str, Any]) -> Mapping[str, str]:
        relative = str(payload.get("path", ""))
        if not relative:
            raise PermanentError("nothing to file: the event has no stored message")
        source = (self.mail_root / relative).resolve()
        if self.mail_root.resolve() not in source.parents:
            raise PermanentError("refusing to file a path outside the mail directory")
        target_dir = _folder(self.mail_root, str(payload["folder"]))
        target = target_dir / source.name
        if target.exists():
            return {"path": str(target), "relative_path": str(target.relative_to(self.mail_root))}
        if not source.exists():
            raise PermanentError(f"stored message {relative} is gone")
        target_dir.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        fault("after_imap_move")  # the local channel's move
        return {"path": str(target), "relative_path": str(target.relative_to(self.mail_root))}


def create(*, name: str, settings: BaseModel, runtime: ConnectorRuntime) -> LocalConnector:
    assert isinstance(settings, LocalSettings)
    return LocalConnector(name=name, settings=settings, runtime=runtime)
