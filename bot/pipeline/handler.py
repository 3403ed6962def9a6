"""Handles one claimed event: route it, then hand it to the desk that claims it.

The desks are registered in one place (``EventHandler.desks``), asked in order; the
first that claims the route handles it and finishes it through the commit service, which
writes the outbox rows, escalations, timers, memory and the audit entry and marks the
event done in one transaction: a crash at any point is repaired by handling it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.agent.base import Agent
from bot.config import Settings
from bot.desks import Desk, DeskDeps, DraftCheck
from bot.desks.judgment import JudgmentDesk
from bot.desks.owner import OwnerDesk
from bot.desks.scheduled import ScheduledDesk
from bot.desks.tasks import TasksDesk
from bot.effects.executor import Executor
from bot.errors import ConfigError
from bot.gate.policy import PolicyGate
from bot.peers import Peers
from bot.peers.intake import PeerIntake
from bot.pipeline.commit import Commit
from bot.pipeline.facts_reader import FactsReader, Proposer
from bot.pipeline.router import Route, Router
from bot.rules.model import Rulebook
from bot.store import Claimed, Store
from bot.tasks.runner import TaskRunner

log = logging.getLogger("deputy.handler")


class EventHandler:
    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        rulebook: Callable[[], Rulebook],
        executor: Executor,
        agent: Agent | None = None,
        scheduled: ScheduledDesk | None = None,
        commit: Commit | None = None,
        propose_facts: Proposer | None = None,
        check_draft: DraftCheck | None = None,
        peers: Peers | None = None,
    ) -> None:
        """``propose_facts``, ``check_draft``: a department's facts and check stages
        (bot/departments/): a model's proposed facts, and a model's reading of each draft
        before the gate."""
        self.rulebook = rulebook
        self.agent = agent
        commit = commit or Commit(store=store, executor=executor)
        deps = DeskDeps(
            store=store,
            settings=settings,
            executor=executor,
            gate=PolicyGate(),
            commit=commit,
            agent=agent,
            check=check_draft,
        )
        own = frozenset(a.lower() for a in settings.deputy.addresses)
        if peers is None:  # the secrets from the environment (a missing one: ConfigError)
            try:
                peers = Peers.from_settings(settings.peers)
            except ConfigError as exc:
                raise ConfigError(f"{settings.source}: {exc}") from None
        self.router = Router(
            escalations=store.escalations,
            own_addresses=own,
            facts=FactsReader(store.message_facts, propose=propose_facts),
            peers=PeerIntake(peers, store.peer_messages) if peers else None,
        )
        llm = getattr(agent, "client", None)  # free-text tasks -> structured, when a model is configured
        self.tasks = TaskRunner(
            store=store, settings=settings, executor=executor, gate=deps.gate, llm=llm, commit=commit
        )
        self.judgment = JudgmentDesk(deps)
        # The one registry of desks: asked in order, the first claim wins.
        self.desks: tuple[Desk, ...] = (
            TasksDesk(self.tasks),
            OwnerDesk(deps),
            scheduled or ScheduledDesk(deps),
            self.judgment,
        )

    @property
    def rules_only(self):  # type: ignore[no-untyped-def]
        """The rules-only planner the judgment desk consults first."""
        return self.judgment.rules_only

    async def handle(self, claimed: Claimed) -> None:
        started = time.perf_counter()
        rulebook = self.rulebook()
        route = await self.route(claimed, rulebook)
        await self.dispatch(claimed, rulebook, route, started)

    async def route(self, claimed: Claimed, rulebook: Rulebook) -> Route:
        today = datetime.now(ZoneInfo(rulebook.owner.timezone)).date()
        return await self.router.route(claimed.event, rulebook, today=today)

    async def dispatch(self, claimed: Claimed, rulebook: Rulebook, route: Route, started: float) -> None:
        """Hand the routed event to the first desk that claims it."""
        for desk in self.desks:
            if await desk.claims(claimed, route):
                await desk.handle(claimed, rulebook, route, started)
                return
        raise RuntimeError(f"no desk claims {type(route).__name__} for {claimed.event.id}")
