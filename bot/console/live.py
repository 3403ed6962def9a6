"""Live updates by server-sent events (the WHATWG HTML standard's EventSource).

A commit that adds work to the inbox or the outbox wakes every open stream at once; a
stream also looks once a second, since a decision that sends nothing (an ignore, a
filing held) touches neither table. Each stream then compares a cheap version of the
store (the newest inbox event, audit row and question) with the last one it sent and
says "changed" only when it moved; the page fetches itself again.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.clock import wait_until_set
from bot.console.deps import deps_of
from bot.store import Store

KEEPALIVE_SECONDS = 15.0


class Live:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiters: set[asyncio.Event] = set()
        self._closing = asyncio.Event()
        store.db.on_commit("inbox", self.poke)
        store.db.on_commit("outbox", self.poke)

    def poke(self) -> None:
        for waiter in self._waiters:
            waiter.set()

    def close(self) -> None:
        self._closing.set()
        self.poke()

    async def version(self) -> tuple[int, int, int]:
        open_questions = len(await self.store.escalations.open())
        return await self.store.inbox.total(), await self.store.audit.last_id(), open_questions

    async def stream(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        # The version is read before the headers go: a browser that sees the stream open
        # and then makes a change is sure to be told of it.
        seen = await self.version()
        waiter = asyncio.Event()
        self._waiters.add(waiter)
        loop = asyncio.get_running_loop()
        try:
            await response.prepare(request)
            await response.write(b"retry: 1000\n: connected\n\n")
            quiet_since = loop.time()
            while not self._closing.is_set():
                await wait_until_set(waiter, 1.0)
                waiter.clear()
                if self._closing.is_set():
                    break
                now = await self.version()
                if now != seen:
                    seen = now
                    await response.write(f"data: {now[0]}.{now[1]}.{now[2]}\n\n".encode())
                    quiet_since = loop.time()
                elif loop.time() - quiet_since > KEEPALIVE_SECONDS:
                    await response.write(b": keepalive\n\n")
                    quiet_since = loop.time()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._waiters.discard(waiter)
        return response


LIVE = web.AppKey("live", Live)


async def stream(request: web.Request) -> web.StreamResponse:
    deps_of(request)  # a session was checked by the guard
    return await request.app[LIVE].stream(request)
