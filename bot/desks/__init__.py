"""Desks: each claims the routes it owns and handles them; the handler asks them in
order (first claim wins), like handler groups. Desks share collaborators through one
small frozen ``DeskDeps``, never through inheritance."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.actions import Decision
from bot.agent.base import Agent
from bot.config import Settings
from bot.effects.executor import Executor
from bot.events import Event
from bot.gate.policy import PolicyGate
from bot.pipeline.commit import Commit
from bot.pipeline.router import Route
from bot.rules.model import Rulebook
from bot.store import Claimed, Store

# (the incoming event, the decision with its drafts) -> the decision, drafts held or not
DraftCheck = Callable[[Event, Decision], Awaitable[Decision]]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeskDeps:
    store: Store
    settings: Settings
    executor: Executor
    gate: PolicyGate
    commit: Commit
    agent: Agent | None = None
    check: DraftCheck | None = None  # a department's check stage (bot/departments/draft_check.py)


class Desk(Protocol):
    async def claims(self, claimed: Claimed, route: Route) -> bool:
        """Whether this desk handles the event (a cheap check; it may read the store)."""
        ...

    async def handle(self, claimed: Claimed, rulebook: Rulebook, route: Route, started: float) -> None:
        """Handle the event and finish it through the commit service."""
        ...
