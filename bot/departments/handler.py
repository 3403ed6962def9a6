"""One daemon, one store, several departments: each claimed event goes to the handler of
the department it belongs to (bot/departments/organisation.py), which runs the usual
desks under that department's rules, gate, model and identity.

An owner's answer goes to the department whose question it answers, and a timer to the
department of the escalation it belongs to, so a paused run resumes under the rules
that paused it. A hand-off's result ends the watch of its deadline first
(bot/departments/late.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from bot.departments import late
from bot.departments.handoff import forged
from bot.departments.organisation import Organisation
from bot.events import Event
from bot.pipeline.handler import EventHandler
from bot.store import Claimed, Store

log = logging.getLogger("deputy.departments")

_ANSWERISH = ("button_data", "in_reply_to", "reply_to", "escalation_id")


class DepartmentsHandler:
    def __init__(
        self,
        *,
        organisation: Organisation,
        handlers: Mapping[str, EventHandler],
        store: Store,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.organisation = organisation
        self.handlers = dict(handlers)
        self.store = store
        self._close = close  # the models' clients, shared by departments and stages

    @property
    def home(self) -> EventHandler:
        return self.handlers[self.organisation.home]

    async def department_for(self, event: Event) -> str:
        org = self.organisation
        owned = org.owning(event)
        if owned is not None:
            return owned
        if event.kind == "timer_due" and event.refs.get("escalation_id", "").isdigit():
            esc = await self.store.escalations.get(int(event.refs["escalation_id"]))
            return org.department_of(esc.event) if esc is not None else org.home
        if event.kind == "timer_due" and event.refs.get("event_id"):  # a follow-up of its thread
            original = await self.store.inbox.event(event.refs["event_id"])
            return org.department_of(original) if original is not None else org.home
        if event.kind in ("owner_answer", "owner_message") or any(event.refs.get(k) for k in _ANSWERISH):
            esc = await self.home.router.escalation_of(event)
            if esc is not None:
                return org.department_of(esc.event)
        return org.home

    async def handle(self, claimed: Claimed) -> None:
        name = await self.department_for(claimed.event)
        log.debug("%s -> department %s", claimed.event.id, name)
        handler = self.handlers[name]
        if forged(claimed.event):
            why = f"{claimed.event.sender} is a department's internal address, but this came from outside"
            log.warning("refused %s: %s", claimed.event.id, why)
            commit = handler.judgment.deps.commit
            await commit.finish(claimed, handler.rulebook(), (), outcome="refused", reasons=(why,))
            return
        if late.is_final_result(claimed):  # a hand-off's result: the deadline's watch ends
            executor = handler.judgment.deps.executor
            claimed = await late.settle(
                self.store, claimed, executor=executor, owner=handler.rulebook().owner
            )
        await handler.handle(claimed)

    async def close(self) -> None:
        if self._close is not None:
            await self._close()
            return
        agents = {id(h.agent): h.agent for h in self.handlers.values() if h.agent is not None}
        for agent in agents.values():  # departments may share one (the [llm] model)
            await agent.close()
