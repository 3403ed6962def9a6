"""Real parts for desk and step tests: a store in tmp_path, the shipped rules, an
executor for one local channel, the commit service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.channels.registry import ChannelRegistry
from bot.config import load
from bot.desks import DeskDeps
from bot.effects.executor import Executor
from bot.events import Event
from bot.gate.policy import PolicyGate
from bot.pipeline.commit import Commit
from bot.pipeline.facts_reader import FactsReader
from bot.pipeline.router import Route, Router
from bot.rules.loader import load_rulebook
from bot.rules.model import Rulebook
from bot.store import AuditEntry, Claimed, Store
from tests.core.conftest import make_home


@dataclass
class Parts:
    deps: DeskDeps
    rulebook: Rulebook
    router: Router

    @property
    def store(self) -> Store:
        return self.deps.store

    async def claim(self, event: Event) -> Claimed:
        assert await self.store.inbox.add(event)
        (claimed,) = await self.store.inbox.claim(limit=1, busy_threads=set())
        return claimed

    async def route(self, claimed: Claimed) -> Route:
        return await self.router.route(claimed.event, self.rulebook, today=date.today())

    async def audit(self) -> AuditEntry:
        (entry,) = await self.store.audit.recent()
        return entry

    async def outbox_ops(self) -> list[str]:
        return [r["op"] for r in await self.store.db.fetchall("SELECT op FROM outbox ORDER BY seq")]

    async def done(self, claimed: Claimed) -> bool:
        row = await self.store.db.fetchone("SELECT state FROM inbox WHERE seq=?", (claimed.seq,))
        return row is not None and row["state"] == "done"


@asynccontextmanager
async def parts(tmp_path: Path) -> AsyncIterator[Parts]:
    settings = load(make_home(tmp_path))
    store = Store(tmp_path / "deputy.sqlite3")
    await store.open()
    executor = Executor(settings=settings, channels=ChannelRegistry.of_types({"local": "local"}))
    deps = DeskDeps(
        store=store,
        settings=settings,
        executor=executor,
        gate=PolicyGate(),
        commit=Commit(store=store, executor=executor),
    )
    own = frozenset(a.lower() for a in settings.deputy.addresses)
    try:
        yield Parts(
            deps,
            load_rulebook(tmp_path / "rules"),
            Router(escalations=store.escalations, own_addresses=own, facts=FactsReader(store.message_facts)),
        )
    finally:
        await store.close()
