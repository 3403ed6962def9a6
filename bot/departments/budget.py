"""A department's model spend for the day, shared by all its stages (facts, decide,
write, check): whether it is at a cap, what a call cost, and telling the supervisor once
when the cap is met.

Spend is counted per day, department and endpoint (bot/store/spend.py); the caps are the
department's ``daily_budget`` and each endpoint's ``daily_cap`` over all departments.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.agent.llm_client import Usage
from bot.departments.handoff import CHANNEL, address_of
from bot.departments.settings import OWNER, ModelEndpoint
from bot.events import Event
from bot.store import Store

Notice = Callable[[str, str], Awaitable[None]]


def today() -> str:
    return datetime.now(UTC).date().isoformat()


class Budget:
    def __init__(
        self,
        *,
        department: str,
        supervisor: str,
        budget: float | None,
        endpoints: dict[str, ModelEndpoint],
        store: Store,
        notice: Notice,
    ) -> None:
        self.department = department
        self.supervisor = supervisor
        self.budget = budget
        self.endpoints = endpoints
        self.store = store
        self.notice = notice

    async def over_cap(self, day: str, names: tuple[str, ...]) -> str | None:
        """Why the department may not call the endpoints ``names`` today (None: it may)."""
        spend = self.store.spend
        if self.budget is not None and await spend.of_department(day, self.department) >= self.budget:
            return f"the {self.department} department's daily budget ({self.budget:g}) is spent"
        for name in names:
            cap = self.endpoints[name].daily_cap
            if cap is not None and await spend.of_endpoint(day, name) >= cap:
                return f"the daily cap of model {name} ({cap:g}) is reached"
        return None

    async def record(self, day: str, endpoint: str, usage: Usage) -> None:
        if usage.calls:
            await self.store.spend.add(
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
