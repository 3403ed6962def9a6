"""Named model endpoints, per department and stage, within daily spend caps.

A department names, per stage, the ``[models.<name>]`` endpoint it calls: ``facts``
proposes the facts of a message (bot/departments/facts_stage.py), ``decide`` runs the
tool-calling loop (what to do), ``write`` rewrites the reply text in the department's
voice (a strong model for writing, a small one for routine deciding), ``check`` reads a
draft before the gate (bot/departments/draft_check.py). The gate checks the written
text like any other, so a writer that changes a figure is stopped there. At a cap (the
department's ``daily_budget`` or the endpoint's ``daily_cap``; bot/departments/budget.py)
the department falls back to its rules alone for the rest of the day and tells its
supervisor once.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable

from bot.actions import Action, Decision, Reply
from bot.agent.base import Agent, AgentContext
from bot.agent.llm_agent import LLMAgent
from bot.agent.llm_client import LLMClient, LLMUnavailable
from bot.agent.rules_only import RulesOnlyAgent
from bot.config import LLMSettings, Settings
from bot.departments.budget import Budget, today
from bot.departments.draft_check import DraftCheck
from bot.departments.facts_stage import FactsStage
from bot.departments.settings import ModelEndpoint
from bot.store import Store

log = logging.getLogger("deputy.departments")

Notice = Callable[[str, str], Awaitable[None]]

WRITER_PROMPT = (
    "You rewrite a draft reply in the voice of the {department} department. Keep every "
    "number, amount, date, name, address and promise exactly as it is; add no new facts, "
    "links or commitments. Answer with the rewritten text only."
)


def client_for(endpoint: ModelEndpoint) -> LLMClient:
    settings = LLMSettings(
        enabled=True,
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key_env=endpoint.api_key_env,
        timeout_seconds=endpoint.timeout_seconds,
        max_retries=endpoint.max_retries,
        price_in_per_mtok=endpoint.price_in_per_mtok,
        price_out_per_mtok=endpoint.price_out_per_mtok,
    )
    return LLMClient.from_settings(settings)


class DepartmentAgent:
    """Implements ``bot.agent.base.Agent`` for one department."""

    def __init__(
        self,
        *,
        department: str,
        decide: tuple[str, LLMClient],
        write: tuple[str, LLMClient] | None,
        budget: Budget,
        max_steps: int,
    ) -> None:
        self.department = department
        self.decide_name, decide_client = decide
        self.client = decide_client  # free-text tasks use the deciding model
        self.decider = LLMAgent(decide_client, max_steps=max_steps, fallback=RulesOnlyAgent())
        self.write = write
        self.budget = budget
        self.rules_only = RulesOnlyAgent()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.decide_name, *([self.write[0]] if self.write else []))

    async def decide(self, ctx: AgentContext) -> Decision:
        day = today()
        over = await self.budget.over_cap(day, self.names)
        if over is not None:
            await self.budget.tell_supervisor(day, over)
            planned = await self.rules_only.decide(ctx)
            return dataclasses.replace(planned, reasons=(*planned.reasons, f"{over}: rules only"))
        decision, usage = await self.decider.decide_with_usage(ctx)
        await self.budget.record(day, self.decide_name, usage)
        if self.write is not None and any(isinstance(a, Reply) for a in decision.actions):
            decision = await self.rewrite(day, decision)
        return decision

    async def rewrite(self, day: str, decision: Decision) -> Decision:
        assert self.write is not None
        name, client = self.write
        if await self.budget.over_cap(day, self.names) is not None:
            return decision  # the draft as decided; the cap is told at the next decision
        actions: list[Action] = []
        for action in decision.actions:
            if isinstance(action, Reply):
                system = WRITER_PROMPT.format(department=self.department)
                try:
                    result = await client.chat(
                        [{"role": "system", "content": system}, {"role": "user", "content": action.text}]
                    )
                except LLMUnavailable as exc:
                    log.warning("writer %s failed, keeping the draft: %s", name, exc)
                    actions.append(action)
                    continue
                await self.budget.record(day, name, result.usage)
                text = result.content.strip()
                action = dataclasses.replace(action, text=text) if text else action
            actions.append(action)
        return dataclasses.replace(decision, actions=tuple(actions))

    async def close(self) -> None:
        return None  # the clients belong to ``Models``, which closes each once


class Models:
    """The endpoints the departments' stages name, one client each (shared by the
    departments and stages that name it), and one ``Budget`` per department."""

    def __init__(self, settings: Settings, *, store: Store, notice: Notice) -> None:
        self.settings = settings
        self.store = store
        self.notice = notice
        self.clients: dict[str, LLMClient] = {}
        self.budgets: dict[str, Budget] = {}
        self.default: list[Agent] = []

    def client(self, name: str) -> LLMClient:
        if name not in self.clients:
            self.clients[name] = client_for(self.settings.models[name])
        return self.clients[name]

    def budget(self, department: str) -> Budget:
        if department not in self.budgets:
            dept = self.settings.departments[department]
            self.budgets[department] = Budget(
                department=department,
                supervisor=dept.supervisor,
                budget=dept.daily_budget,
                endpoints=dict(self.settings.models),
                store=self.store,
                notice=self.notice,
            )
        return self.budgets[department]

    def agent(self, department: str) -> Agent | None:
        """Its ``decide`` (and ``write``) models; without ``decide``, the ``[llm]`` model
        when one is enabled (no department cap applies to it), else None (rules only)."""
        dept = self.settings.departments[department]
        decide = dept.models.get("decide")
        if decide is None:
            if not self.settings.llm.enabled:
                return None
            if not self.default:
                from bot.agent.factory import build_agent

                self.default.append(build_agent(self.settings, notice=self.notice))
            return self.default[0]
        write = dept.models.get("write")
        return DepartmentAgent(
            department=department,
            decide=(decide, self.client(decide)),
            write=(write, self.client(write)) if write else None,
            budget=self.budget(department),
            max_steps=self.settings.llm.max_steps,
        )

    def facts(self, department: str) -> FactsStage | None:
        name = self.settings.departments[department].models.get("facts")
        if name is None:
            return None
        return FactsStage(
            department=department, model=(name, self.client(name)), budget=self.budget(department)
        )

    def check(self, department: str) -> DraftCheck | None:
        name = self.settings.departments[department].models.get("check")
        if name is None:
            return None
        return DraftCheck(
            department=department, model=(name, self.client(name)), budget=self.budget(department)
        )

    async def close(self) -> None:
        for agent in self.default:
            await agent.close()
        for client in self.clients.values():
            await client.close()
