"""The contract between the core and a channel connector.

A connector translates; it never decides. ``start(emit)`` begins intake: for every
inbound item the connector builds an ``Event`` and awaits ``emit(event)``, which returns
only after the event is committed to the inbox; only then may the connector acknowledge
the source (advance a Telegram offset, ack Slack, move an IMAP cursor). ``deliver``
carries out one outbox row and returns a receipt (platform ids) or raises one of
``bot.errors``: TransientError (retried with backoff), AuthFailed, PermanentError.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from bot.delivery import Delivery
from bot.errors import ConfigError
from bot.events import Event
from bot.owner import OwnerProfile
from bot.peers.signature import MailFields

Emit = Callable[[Event], Awaitable[bool]]  # True when the event was new
Run = Callable[[], Coroutine[Any, Any, Any]]  # a long-lived loop, startable again
Supervise = Callable[[str, Run, asyncio.Event], asyncio.Task[Any]]
# The Deputy-Peer header value for a mail with these fields, or None (no peer among the
# recipients): mail connectors call it with the final headers they compose (bot/peers).
SignMail = Callable[[MailFields], str | None]


async def emit_page(emit: Emit, events: Sequence[Event]) -> tuple[int, Exception | None]:
    """Hand a page of events (an IMAP FETCH chunk, a getUpdates page) to the inbox at once.

    The emits run concurrently, so the store's group commit puts the page in one
    transaction instead of one commit per event (issue 3), and they join it in page order,
    so inbox order is source order. Returns how many events, from the first, are
    committed: the caller acknowledges exactly those (advances its cursor or offset). The
    first failure, if any, is returned for the caller to raise or retry; events after it
    may be committed too, and the inbox dedupes them when they come again."""
    results = await asyncio.gather(*(emit(event) for event in events), return_exceptions=True)
    for index, result in enumerate(results):
        if isinstance(result, Exception):
            return index, result
        if isinstance(result, BaseException):  # cancelled: nothing after this is ours to count
            raise result
    return len(events), None


@runtime_checkable
class Connector(Protocol):
    name: str

    async def start(self, emit: Emit) -> None:
        """Connect and begin intake in background tasks (via runtime.supervise); return soon."""

    async def stop(self) -> None:
        """Idempotent; drains what is in flight."""

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        """Carry out one outbox row; return a receipt such as {"message_id": ...}."""


class StateStore(Protocol):
    """Small durable key/value state per connector (cursors, offsets, baselines)."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...


@dataclass(kw_only=True)
class ConnectorRuntime:
    """What the core gives a connector: nothing else of the core is reachable."""

    name: str
    data_dir: Path
    owner: OwnerProfile
    state: StateStore
    own_addresses: tuple[str, ...]
    spawn: Callable[[Coroutine[Any, Any, Any], str], asyncio.Task[Any]]
    on_auth_failed: Callable[[str], Awaitable[None]] | None = None
    restart: Supervise | None = None  # the daemon's supervisor; None: run once (tests)
    sign_mail: SignMail | None = None  # signs mail to a trusted peer; None: no peers

    def supervise(self, part: str, run: Run, *, stopping: asyncio.Event) -> asyncio.Task[Any]:
        """Run a long-lived intake loop (IMAP IDLE, getUpdates, a socket) as ``part``.

        Under the daemon a loop that dies of an exception it did not expect is started
        again with backoff, its part degraded in the health registry and the owner told
        once; so ``run`` must be callable again (a fresh coroutine each time) and must
        return only when the connector is stopping. ``stopping`` is the connector's own
        stop signal: no restart after it is set."""
        if self.restart is None:
            return self.spawn(run(), part)
        return self.restart(part, run, stopping)

    def secret(self, env_name: str, *, key: str) -> str:
        """Read a secret from the environment; the config only names the variable."""
        value = os.environ.get(env_name, "")
        if not value:
            raise ConfigError(f"channels.{self.name}.{key}: environment variable {env_name} is not set")
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """What a channel can do, declared by its connector package as ``CAPABILITIES``.

    The core asks these instead of naming channels: a new chat connector that declares
    ``prompts=True`` and an ``owner_key`` gets owner questions like Telegram or Slack.
    """

    mail: bool = False  # speaks email: subjects, Message-ID threading, the owner's address
    buttons: bool = False  # a prompt can carry answer buttons
    threads: bool = False  # replies go into a thread of the conversation
    prompts: bool = False  # can carry a question to the owner (a chat prompt)
    wakes_owner: bool = True  # false for the console log: quiet hours do not hold it
    owner_key: str = ""  # key in the owner's identities map (rules/owner.md) it reads
    # keeps a draft reply in the owner's mailbox (ops "draft" and "draft_delete")
    drafts: bool = False


NO_CAPABILITIES = Capabilities()


class ConnectorModule(Protocol):
    SETTINGS: type[BaseModel]
    CAPABILITIES: Capabilities

    def create(self, *, name: str, settings: BaseModel, runtime: ConnectorRuntime) -> Connector: ...
