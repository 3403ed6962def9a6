"""Named model endpoints, per department and stage, within daily spend caps.

A department names, per stage, the ``[models.<name>]`` endpoint it calls: ``decide``
runs the tool-calling loop (what to do), ``write`` rewrites the reply text in the
department's voice (a strong model for writing, a small one for routine deciding). The
gate checks the written text like any other, so a writer that changes a figure is
stopped there. At a cap (the department's ``daily_budget`` or the endpoint's
``daily_cap``) the department falls back to its rules alone for the rest of the day
and tells its supervisor once.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.actions import Action, Decision, Reply
from bot.agent.base import Agent, AgentContext
from bot.agent.llm_agent import LLMAgent
from bot.agent.llm_client import LLMClient, LLMUnavailable, Usage
from bot.agent.rules_only import RulesOnlyAgent
from bot.config import LLMSettings, Settings
from bot.departments.handoff import CHANNEL, address_of
from bot.departments.settings import OWNER, ModelEndpoint
from bot.events import Event
from bot.store import Spend, Store

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


def today() -> str:
    return datetime.now(UTC).date().isoformat()


class DepartmentAgent:
    """Implements ``bot.agent.base.Agent`` for one department."""

    def __init__(
        self,
        *,
        department: str,
        supervisor: str,
        decide: tuple[str, LLMClient],
        write: tuple[str, LLMClient] | None,
        endpoints: dict[str, ModelEndpoint],
        budget: float | None,
        store: Store,
        notice: Notice,
        max_steps: int,
    ) -> None:
        self.department = department
        self.supervisor = supervisor
        self.decide_name, decide_client = decide
        self.client = decide_client  # free-text tasks use the deciding model
        self.decider = LLMAgent(decide_client, max_steps=max_steps, fallback=RulesOnlyAgent())
        self.write = write
        self.endpoints = endpoints
        self.budget = budget
        self.spend: Spend = store.spend
        self.store = store
        self.notice = notice
        self.rules_only = RulesOnlyAgent()

    async def decide(self, ctx: AgentContext) -> Decision:
        day = today()
        over = await self.over_cap(day)
        if over is not None:
            await self.tell_supervisor(day, over)
            planned = await self.rules_only.decide(ctx)
            return dataclasses.replace(planned, reasons=(*planned.reasons, f"{over}: rules only"))
        decision, usage = await self.decider.decide_with_usage(ctx)
        await self.record(day, self.decide_name, usage)
        if self.write is not None and any(isinstance(a, Reply) for a in decision.actions):
            decision = await self.rewrite(day, decision)
        return decision

    async def rewrite(self, day: str, decision: Decision) -> Decision:
        assert self.write is not None
        name, client = self.write
        if await self.over_cap(day) is not None:
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
                await self.record(day, name, result.usage)
                text = result.content.strip()
                action = dataclasses.replace(action, text=text) if text else action
            actions.append(action)
        return dataclasses.replace(decision, actions=tuple(actions))

    async def over_cap(self, day: str) -> str | None:
        if self.budget is not None and await self.spend.of_department(day, self.department) >= self.budget:
            return f"the {self.department} department's daily budget ({self.budget:g}) is spent"
        names = [self.decide_name, *([self.write[0]] if self.write else [])]
        for name in names:
            cap = self.endpoints[name].daily_cap
            if cap is not None and await self.spend.of_endpoint(day, name) >= cap:
                return f"the daily cap of model {name} ({cap:g}) is reached"
        return None

    async def record(self, day: str, endpoint: str, usage: Usage) -> None:
        if usage.calls:
            await self.spend.add(
                day=day,
                department=self.department,
                endpoint=endpoint,
                cost=usage.cost,
                calls=usage.calls,
                tokens=usage.tokens_in + usage.tokens_out,
            )

    async def tell_supervisor(self, day: str, why: str) -> None:
        """Once a day per department: the key (an inbox id, or the owner notice's key)
        is the same for every event that meets the cap."""
        text = f"{why}. The {self.department} department works by its rules alone until tomorrow (UTC)."
        key = f"budget:{self.department}:{day}"
        if self.supervisor == OWNER:
            await self.notice(key, text)
            return
        await self.store.inbox.add(
            Event(
                id=f"{CHANNEL}:{key}",
                channel=CHANNEL,
                kind="message",
                thread=key,
                sender=address_of(self.department),
                sender_name=self.department,
                received_at=datetime.now(UTC),
                recipients=(address_of(self.supervisor),),
                subject=f"[Budget] {self.department} falls back to rules only",
                text=text,
                refs={"channel_type": CHANNEL, "department": self.supervisor, "chain": self.department},
            )
        )

    async def close(self) -> None:
        clients = {id(self.client): self.client}
        if self.write is not None:
            clients[id(self.write[1])] = self.write[1]
        for client in clients.values():
            await client.close()


def agent_builder(settings: Settings, *, store: Store, notice: Notice) -> Callable[[str], Agent | None]:
    """department name -> its agent: the endpoints its stages name; without a ``decide``
    model, the ``[llm]`` model when one is enabled (no department cap applies to it), else
    None (rules only)."""
    clients: dict[str, LLMClient] = {}
    default: list[Agent] = []

    def client(name: str) -> LLMClient:
        if name not in clients:
            clients[name] = client_for(settings.models[name])
        return clients[name]

    def build(department: str) -> Agent | None:
        dept = settings.departments[department]
        decide = dept.models.get("decide")
        if decide is None:
            if not settings.llm.enabled:
                return None
            if not default:
                from bot.agent.factory import build_agent

                default.append(build_agent(settings, notice=notice))
            return default[0]
        write = dept.models.get("write")
        return DepartmentAgent(
            department=department,
            supervisor=dept.supervisor,
            decide=(decide, client(decide)),
            write=(write, client(write)) if write else None,
            endpoints=dict(settings.models),
            budget=dept.daily_budget,
            store=store,
            notice=notice,
            max_steps=settings.llm.max_steps,
        )

    return build
