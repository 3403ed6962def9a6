"""Our one wrapper around aioimaplib.

Why a wrapper: aioimaplib has no timeout on most commands, no STARTTLS, raises a
mix of its own and asyncio exceptions, and has traps (see the project's TESTING.md notes):
a read holding ~1,000 response lines hits a RecursionError inside the protocol
(upstream issue 118) and FETCH parsing is quadratic in the batch size. So: every
command runs under a timeout, FETCH/MOVE/STORE go in chunks of ~50 UIDs, and
library exceptions are translated here, once, into bot.errors.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections import Counter
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import aioimaplib

from bot.errors import AuthFailed, PermanentError, TransientError
from connectors.email.mailbox_name import quote

Security = Literal["none", "starttls", "tls"]
T = TypeVar("T")

_UID = re.compile(rb"\bUID (\d+)")
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
_LITERAL = re.compile(rb"\{(\d+)\}$")
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_UIDNEXT = re.compile(rb"\[UIDNEXT (\d+)\]")
_EXISTS = re.compile(rb"^(\d+) EXISTS$")


class ImapNo(PermanentError):
    """The server answered NO or BAD; ``text`` keeps its response code ([TRYCREATE]...)."""

    def __init__(self, what: str, text: str) -> None:
        super().__init__(f"IMAP {what}: {text}")
        self.text = text


@dataclass(frozen=True, slots=True)
class MailboxInfo:
    name: str
    uidvalidity: int
    uidnext: int
    exists: int


@dataclass(frozen=True, slots=True)
class Fetched:
    uid: int
    flags: tuple[str, ...]
    raw: bytes


def chunks(uids: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(uids), size):
        yield list(uids[start : start + size])


def uid_set(uids: Iterable[int]) -> str:
    """Compact sequence-set (RFC 3501 9: "1:5,8,10:12")."""
    ordered = sorted(set(uids))
    parts: list[str] = []
    start = prev = None
    for uid in ordered:
        if start is None:
            start = prev = uid
        elif prev is not None and uid == prev + 1:
            prev = uid
        else:
            parts.append(f"{start}:{prev}" if start != prev else str(start))
            start = prev = uid
    if start is not None:
        parts.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(parts)


class ImapClient:
    """One authenticated IMAP connection. Not safe for concurrent commands: callers
    serialise (one client per folder watcher, one behind a lock for filing)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: Security,
        username: str,
        password: str,
        timeout: float = 30.0,
        chunk: int = 50,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._host, self._port, self._security = host, port, security
        self._username, self._password = username, password
        self.timeout = timeout
        self.chunk = max(1, chunk)
        self._ssl = ssl_context
        self._imap: aioimaplib.IMAP4 | None = None
        self.lost = asyncio.Event()
        self.selected: MailboxInfo | None = None
        self.saw_exists = False  # an untagged EXISTS arrived with some command's response
        self.commands: Counter[str] = Counter()  # commands sent, by name (tests, bench)

    # -- lifecycle -------------------------------------------------------------

    async def connect(self) -> None:
        self.lost.clear()
        context = self._ssl or ssl.create_default_context()
        on_lost = self._on_lost
        try:
            async with asyncio.timeout(self.timeout):
                if self._security == "tls":
                    self._imap = aioimaplib.IMAP4_SSL(
                        host=self._host, port=self._port, timeout=self.timeout, ssl_context=context
                    )
                    self._imap.protocol.conn_lost_cb = on_lost
                else:
                    self._imap = aioimaplib.IMAP4(
                        host=self._host, port=self._port, timeout=self.timeout, conn_lost_cb=on_lost
                    )
                await self._imap.wait_hello_from_server()
                if self._security == "starttls":
                    await self._starttls(context)
                response = await self._imap.login(self._username, self._password)
        except (AuthFailed, PermanentError, TransientError):
            raise
        except Exception as exc:
            raise _translate(exc, "connect") from exc
        if response.result != "OK":
            raise AuthFailed(f"IMAP login refused for {self._username}: {_text(response)}")
        if not self._imap.protocol.capabilities or "IMAP4rev1" not in self._imap.protocol.capabilities:
            await self._run(self._imap.protocol.capability(), "CAPABILITY")

    async def _starttls(self, context: ssl.SSLContext) -> None:
        """RFC 3501 6.2.1 / RFC 8314; aioimaplib has no STARTTLS, so upgrade the
        transport ourselves and forget every capability learned in clear text."""
        assert self._imap is not None
        protocol = self._imap.protocol
        # Not simple_command(): aioimaplib refuses STARTTLS there (NotImplementedError).
        response = await protocol.execute(
            aioimaplib.aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
        )
        if response.result != "OK":
            raise PermanentError(f"IMAP STARTTLS refused: {_text(response)}")
        loop = asyncio.get_running_loop()
        transport = await loop.start_tls(protocol.transport, protocol, context, server_hostname=self._host)
        protocol.transport = transport
        protocol.capabilities = set()
        await protocol.capability()

    def _on_lost(self, exc: Exception | None) -> None:
        self.lost.set()

    async def close(self) -> None:
        imap, self._imap = self._imap, None
        self.selected = None
        if imap is None:
            return
        try:
            async with asyncio.timeout(min(self.timeout, 5.0)):
                if imap.has_pending_idle():
                    imap.idle_done()
                await imap.logout()
        except Exception:
            pass
        finally:
            transport = getattr(imap.protocol, "transport", None)
            if transport is not None:
                transport.close()

    @property
    def connected(self) -> bool:
        return self._imap is not None and not self.lost.is_set()

    def has(self, capability: str) -> bool:
        return self._imap is not None and capability.upper() in self._imap.protocol.capabilities

    # -- commands --------------------------------------------------------------

    @property
    def imap(self) -> aioimaplib.IMAP4:
        if self._imap is None or self.lost.is_set():
            raise TransientError("IMAP connection is not open")
        return self._imap

    async def _run(self, awaitable: Awaitable[T], what: str, *, limit: float | None = None) -> T:
        try:
            async with asyncio.timeout(limit or self.timeout):
                result = await awaitable
        except (AuthFailed, PermanentError, TransientError):
            raise
        except Exception as exc:
            self.lost.set()  # after a timeout the protocol state is unknown: reconnect
            raise _translate(exc, what) from exc
        return result

    async def _ok(self, awaitable: Awaitable[Any], what: str) -> Any:
        self.commands[what.split(" ")[0] if not what.startswith("UID") else what] += 1
        response = await self._run(awaitable, what)
        if response.result != "OK":
            raise ImapNo(what, _text(response))
        if any(_EXISTS.match(bytes(line)) for line in response.lines if isinstance(line, bytes)):
            self.saw_exists = True
        return response

    async def select(self, mailbox: str) -> MailboxInfo:
        response = await self._ok(self.imap.select(quote(mailbox)), f"SELECT {mailbox}")
        validity = uidnext = exists = 0
        for line in response.lines:
            if not isinstance(line, bytes):
                continue
            if m := _UIDVALIDITY.search(line):
                validity = int(m.group(1))
            if m := _UIDNEXT.search(line):
                uidnext = int(m.group(1))
            if m := _EXISTS.match(line):
                exists = int(m.group(1))
        self.selected = MailboxInfo(mailbox, validity, uidnext, exists)
        self.saw_exists = False
        return self.selected

    async def noop(self) -> None:
        await self._ok(self.imap.noop(), "NOOP")

    async def search(self, *criteria: str) -> list[int]:
        """UID SEARCH; returns UIDs ascending."""
        response = await self._ok(self.imap.uid_search(*criteria, charset=None), "UID SEARCH")
        uids: list[int] = []
        for line in response.lines[:-1]:
            if isinstance(line, bytes) and line and line[:1].isdigit() and b"EXISTS" not in line:
                if b"EXPUNGE" in line or b"RECENT" in line or b"FETCH" in line:
                    continue
                uids.extend(int(tok) for tok in line.split() if tok.isdigit())
        return sorted(set(uids))

    async def uids_after(self, last_uid: int) -> list[int]:
        """UIDs strictly greater than ``last_uid``. ``N:*`` always includes the highest
        UID even when it is below N (RFC 3501 6.4.8), hence the filter."""
        return [u for u in await self.search("UID", f"{last_uid + 1}:*") if u > last_uid]

    async def search_message_id(self, message_id: str) -> list[int]:
        safe = message_id.replace("\\", "").replace('"', "").replace("\r", "").replace("\n", "")
        return await self.search("HEADER", "Message-ID", f'"{safe}"')

    async def fetch(self, uids: Sequence[int]) -> list[Fetched]:
        """BODY.PEEK[] never sets \\Seen (RFC 3501 6.4.5): reading is not processing."""
        out: list[Fetched] = []
        for batch in chunks(sorted(uids), self.chunk):
            response = await self._ok(
                self.imap.uid("fetch", uid_set(batch), "(UID FLAGS BODY.PEEK[])"), "UID FETCH"
            )
            out.extend(_parse_fetch(response.lines))
        out.sort(key=lambda f: f.uid)
        return out

    async def create(self, mailbox: str) -> None:
        try:
            await self._ok(self.imap.create(quote(mailbox)), f"CREATE {mailbox}")
        except ImapNo as exc:
            if "ALREADYEXISTS" not in exc.text.upper() and "EXISTS" not in exc.text.upper():
                raise

    async def move(self, uids: Sequence[int], mailbox: str) -> None:
        """UID MOVE (RFC 6851) in chunks; COPY + \\Deleted + UID EXPUNGE without it."""
        target = quote(mailbox)
        for batch in chunks(sorted(uids), self.chunk):
            ids = uid_set(batch)
            if self.has("MOVE"):
                await self._ok(self.imap.uid("move", ids, target), "UID MOVE")
                continue
            await self._ok(self.imap.uid("copy", ids, target), "UID COPY")
            await self._ok(self.imap.uid("store", ids, "+FLAGS.SILENT", r"(\Deleted)"), "UID STORE")
            if self.has("UIDPLUS"):
                await self._ok(self.imap.uid("expunge", ids), "UID EXPUNGE")
            else:
                await self._ok(self.imap.expunge(), "EXPUNGE")

    async def add_flags(self, uids: Sequence[int], flags: Sequence[str]) -> None:
        if not flags:
            return
        for flag in flags:
            if not re.fullmatch(r"\\?[A-Za-z0-9$_.-]{1,64}", flag):
                raise PermanentError(f"invalid IMAP flag or keyword {flag!r}")
        for batch in chunks(sorted(uids), self.chunk):
            await self._ok(
                self.imap.uid("store", uid_set(batch), "+FLAGS.SILENT", f"({' '.join(flags)})"),
                "UID STORE",
            )

    async def delete(self, uids: Sequence[int]) -> None:
        """Remove messages of the selected mailbox: \\Deleted, then UID EXPUNGE of exactly
        those (RFC 4315 2.1), or EXPUNGE where the server has no UIDPLUS."""
        if not uids:
            return
        await self.add_flags(uids, ["\\Deleted"])
        if self.has("UIDPLUS"):
            for batch in chunks(sorted(uids), self.chunk):
                await self._ok(self.imap.uid("expunge", uid_set(batch)), "UID EXPUNGE")
        else:
            await self._ok(self.imap.expunge(), "EXPUNGE")

    async def append(self, raw: bytes, mailbox: str, *, flags: str = r"(\Seen)") -> int | None:
        response = await self._ok(self.imap.append(raw, mailbox=quote(mailbox), flags=flags), "APPEND")
        for line in response.lines:
            if isinstance(line, bytes) and (m := re.search(rb"APPENDUID \d+ (\d+)", line)):
                return int(m.group(1))
        return None

    async def idle(self, *, seconds: float) -> bool:
        """One IDLE (RFC 2177) of at most ``seconds``. True when the mailbox
        changed (EXISTS/EXPUNGE/FETCH pushed), False when it only ran out of time.
        Raises TransientError when the connection is lost or DONE is not answered."""
        imap = self.imap
        queue = imap.protocol.idle_queue
        while not queue.empty():
            queue.get_nowait()
        idle_task = await self._run(imap.idle_start(timeout=seconds), "IDLE")
        changed = False
        try:
            lost = asyncio.ensure_future(self.lost.wait())
            try:
                while not changed:
                    push = asyncio.ensure_future(imap.wait_server_push(timeout=seconds + 5))
                    done, _ = await asyncio.wait({push, lost}, return_when=asyncio.FIRST_COMPLETED)
                    if lost in done:
                        push.cancel()
                        raise TransientError("IMAP connection lost during IDLE")
                    try:
                        lines = push.result()
                    except TimeoutError:
                        break
                    if lines == aioimaplib.STOP_WAIT_SERVER_PUSH:
                        break
                    for line in lines if isinstance(lines, list) else []:
                        if isinstance(line, bytes) and re.search(rb"EXISTS|EXPUNGE|FETCH", line):
                            changed = True
            finally:
                lost.cancel()
        finally:
            if not self.lost.is_set() and imap.has_pending_idle():
                imap.idle_done()
        # The tagged OK for IDLE after DONE is the liveness check of this cycle.
        await self._run(asyncio.shield(idle_task), "IDLE DONE")
        return changed


def _text(response: Any) -> str:
    lines = [bytes(x).decode("utf-8", "replace") for x in getattr(response, "lines", [])[-2:]]
    return " ".join(lines)[:500]


def _parse_fetch(lines: list[Any]) -> list[Fetched]:
    out: list[Fetched] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if isinstance(line, bytes) and b"FETCH (" in line and _LITERAL.search(line):
            literal = lines[index + 1] if index + 1 < len(lines) else b""
            tail = lines[index + 2] if index + 2 < len(lines) else b""
            meta = bytes(line) + b" " + (bytes(tail) if isinstance(tail, bytes | bytearray) else b"")
            uid = _UID.search(meta)
            flags = _FLAGS.search(meta)
            if uid and isinstance(literal, bytes | bytearray):
                out.append(
                    Fetched(
                        uid=int(uid.group(1)),
                        flags=tuple(f.decode() for f in flags.group(1).split()) if flags else (),
                        raw=bytes(literal),
                    )
                )
                index += 3
                continue
        index += 1
    return out


def _translate(exc: BaseException, what: str) -> Exception:
    """Library and socket exceptions -> bot.errors, in one place."""
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | aioimaplib.CommandTimeout):
        return TransientError(f"IMAP {what}: timed out")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentError(f"IMAP {what}: certificate verification failed: {exc}")
    if isinstance(exc, OSError | ConnectionError | EOFError):
        return TransientError(f"IMAP {what}: {type(exc).__name__}: {exc}")
    if isinstance(exc, aioimaplib.Abort | aioimaplib.Error | aioimaplib.AioImapException):
        return TransientError(f"IMAP {what}: {exc}")
    return TransientError(f"IMAP {what}: unexpected {type(exc).__name__}: {exc}")
