"""A cap on the connections one listener holds open, and an idle timeout for each.

Without them a few hundred idle connections (a scanner, a client that never says QUIT)
held the local SMTP listener for aiosmtpd's 300 s each, until the process ran out of
file descriptors and new mail could not get in; nothing was logged. The cap wraps any
asyncio protocol factory (aiosmtpd's SMTP, aiohttp's request handler), so every
listener gets the same policy:

- at the cap, a new connection is admitted and the *idlest* open one is closed (the one
  that sent nothing for longest): refusing the newcomer instead would let whoever holds
  the idle connections lock mail out for good;
- a connection that sends nothing for ``idle_timeout`` seconds is closed;
- both are logged once per burst (the first time, then a count when the burst is over),
  never once per connection;
- what arrives is handed on in slices of ``SLICE_BYTES``, one slice per loop turn: the
  loop may read 256 KB off a socket at once, and aiosmtpd then handled the ~20,000 lines
  of a many-part mail in one stretch without yielding (0.1-2 s of stall per read).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, cast

log = logging.getLogger("deputy.listeners")

BURST_QUIET_SECONDS = 30.0  # this long without a new case ends a burst
SLICE_BYTES = 16 * 1024  # handed to the listener's protocol per loop turn


class _Burst:
    """Counts the cases of one kind of trouble; says when a new burst starts."""

    def __init__(self) -> None:
        self.count = 0
        self.last = float("-inf")

    def note(self, now: float) -> tuple[bool, int]:
        """(first of a new burst, how many the previous burst had)."""
        previous = 0
        first = now - self.last > BURST_QUIET_SECONDS
        if first:
            previous, self.count = self.count, 0
        self.count += 1
        self.last = now
        return first, previous


class ConnectionCap:
    def __init__(
        self,
        *,
        name: str,
        max_connections: int,
        idle_timeout: float,
        full_goodbye: bytes = b"",
        idle_goodbye: bytes = b"",
    ) -> None:
        """``*_goodbye``: written before closing, e.g. SMTP's 421 (RFC 5321 3.8: a server
        that must close the channel should first send 421)."""
        self.name = name
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        self.full_goodbye = full_goodbye
        self.idle_goodbye = idle_goodbye
        # Open connections, the idlest first: moved to the end when data arrives, so the
        # one to close at the cap is found at once (a scan was a third of a burst's cost).
        self.open: OrderedDict[Guarded, None] = OrderedDict()
        self._full = _Burst()
        self._idle = _Burst()

    def factory(self, inner: Callable[[], asyncio.BaseProtocol]) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for ``loop.create_server`` that applies this cap."""
        return lambda: Guarded(inner(), self)

    def admitted(self, conn: Guarded) -> None:
        if len(self.open) >= self.max_connections:
            victim, _ = self.open.popitem(last=False)
            first, previous = self._full.note(conn.now())
            if first:
                log.warning(
                    "%s: %d connections open, the cap (max_connections): closing the idlest to let"
                    " new ones in%s",
                    self.name,
                    self.max_connections,
                    f" (the last burst closed {previous})" if previous else "",
                )
            victim.close(self.full_goodbye)
        self.open[conn] = None

    def active(self, conn: Guarded) -> None:
        if conn in self.open:
            self.open.move_to_end(conn)

    def lost(self, conn: Guarded) -> None:
        self.open.pop(conn, None)

    def timed_out(self, conn: Guarded) -> None:
        self.open.pop(conn, None)
        first, previous = self._idle.note(conn.now())
        if first:
            log.warning(
                "%s: closing connections idle for %.0f s (idle_timeout_seconds)%s",
                self.name,
                self.idle_timeout,
                f" (the last burst closed {previous})" if previous else "",
            )
        conn.close(self.idle_goodbye)


class Guarded(asyncio.Protocol):
    """The listener's own protocol, wrapped: every call is passed on, and the wrapper
    notes when data last arrived, closes the connection when it idles too long, and
    reports to its cap."""

    def __init__(self, inner: asyncio.BaseProtocol, cap: ConnectionCap) -> None:
        self.inner: Any = inner
        self.cap = cap
        self.transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self.last_active = self._loop.time()
        self._timer: asyncio.TimerHandle | None = None
        self._pending = bytearray()  # received, not yet handed on (in slices)
        self._draining = False
        self._eof = False

    def now(self) -> float:
        return self._loop.time()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._arm()
        self.cap.admitted(self)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.last_active = self._loop.time()
        self.cap.active(self)
        self._arm()
        if not self._pending and len(data) <= SLICE_BYTES:
            self.inner.data_received(data)
            return
        self._pending += data  # the listener's own flow control pauses the socket meanwhile
        if not self._draining:
            self._draining = True
            self._loop.call_soon(self._drain)

    def _drain(self) -> None:
        if self.transport is None:
            return
        piece = bytes(self._pending[:SLICE_BYTES])
        del self._pending[:SLICE_BYTES]
        self.inner.data_received(piece)
        if self._pending:
            self._loop.call_soon(self._drain)
            return
        self._draining = False
        if self._eof:
            self.eof_received()

    def eof_received(self) -> bool | None:
        if self._pending:
            self._eof = True  # after the data that came before it
            return True  # keep the transport open until then
        result: bool | None = self.inner.eof_received()
        return result

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.cap.lost(self)
        if self._pending:
            piece, self._pending = bytes(self._pending), bytearray()
            self.inner.data_received(piece)
        self.transport = None
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def close(self, goodbye: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if goodbye:
            self.transport.write(goodbye)
        self.transport.close()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_later(self.cap.idle_timeout, self.cap.timed_out, self)


async def serve_capped(cap: ConnectionCap, runner: Any, host: str, port: int) -> asyncio.Server:
    """An aiohttp ``AppRunner`` (set up) served on host:port under ``cap``, in place of
    ``web.TCPSite`` (which takes no protocol wrapper). Close the returned server before
    ``runner.cleanup()``."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(cap.factory(runner.server), host=host, port=port)
