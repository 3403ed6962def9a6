"""What the console's pages are given: the store, the live rulebook, the health
registry, and the daemon's own ``emit`` for what the owner does here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from bot.config import Settings
from bot.events import Event
from bot.health import Health
from bot.rules.model import Rulebook
from bot.store import Store

Emit = Callable[[Event], Awaitable[bool]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Deps:
    store: Store
    settings: Settings
    health: Health
    rulebook: Callable[[], Rulebook]
    emit: Emit
    # Re-read the rulebook now (a learned rule confirmed or rolled back takes effect at
    # once, not at the rules loop's next look).
    refresh_rules: Callable[[], Awaitable[object]] | None = None

    async def owner_says(self, key: str, text: str, *, kind: str = "owner_message", **refs: str) -> bool:
        """The owner's words from the console enter the daemon as the command line's do
        (channel ``cli``, verified: only a logged-in session gets here). ``key`` makes a
        form sent twice one event (the inbox ignores a second insert of the same id)."""
        event = Event(
            id=f"cli:console:{key}",
            channel="cli",
            kind=kind,
            thread="cli-console",
            sender="owner",
            sender_verified_owner=True,
            received_at=datetime.now(UTC),
            text=text,
            refs=refs,
        )
        return await self.emit(event)


DEPS = web.AppKey("deps", Deps)
CSRF = web.RequestKey("csrf", str)
SESSION = web.RequestKey("session", str)


def deps_of(request: web.Request) -> Deps:
    return request.app[DEPS]


def csrf_of(request: web.Request) -> str:
    return request[CSRF]
