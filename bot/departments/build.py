"""Wires the declared departments into the daemon: per department its rulebook, its
executor (which knows its role: whom it hands to and asks), its commit service, the
models its stages name (facts, decide, write, check; within its budget) and the usual
desks."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bot.channels.registry import ChannelRegistry
from bot.config import Settings
from bot.departments.handler import DepartmentsHandler
from bot.departments.handoff import Role
from bot.departments.models import Models
from bot.departments.organisation import Organisation
from bot.departments.rulebooks import DepartmentRules
from bot.effects.executor import Executor
from bot.events import Event
from bot.pipeline.commit import Commit
from bot.pipeline.handler import EventHandler
from bot.rules.model import Rulebook
from bot.store import Store


def rules_folder(settings: Settings, name: str) -> Path:
    dept = settings.departments[name]
    return settings.rules_dir / (dept.rules or name)


def department_rulebook(settings: Settings, event: Event, main: Rulebook) -> tuple[Role, Rulebook]:
    """For ``deputy try``: the department ``event`` would go to, and its rulebook."""
    org = Organisation.of(settings)
    name = org.department_of(event)
    dept = settings.departments[name]
    rules = DepartmentRules(
        name=name, folder=rules_folder(settings, name), main=lambda: main, signature=dept.signature
    )
    return org.role(name), rules()


def build(
    *,
    settings: Settings,
    store: Store,
    channels: ChannelRegistry,
    main_rules: Callable[[], Rulebook],
    models: Models,
    clock: Callable[[], float] = time.time,
) -> DepartmentsHandler:
    """``clock``: the daemon's wall clock, for the due times each department's executor sets."""
    org = Organisation.of(settings)
    handlers: dict[str, EventHandler] = {}
    for name, dept in org.departments.items():
        executor = Executor(settings=settings, channels=channels, clock=clock)
        executor.role = org.role(name, own=tuple(a.lower() for a in settings.deputy.addresses))
        rules = DepartmentRules(
            name=name, folder=rules_folder(settings, name), main=main_rules, signature=dept.signature
        )
        handlers[name] = EventHandler(
            store=store,
            settings=settings,
            rulebook=rules,
            executor=executor,
            agent=models.agent(name),
            commit=Commit(store=store, executor=executor),
            propose_facts=models.facts(name),
            check_draft=models.check(name),
        )
    return DepartmentsHandler(organisation=org, handlers=handlers, store=store, close=models.close)
