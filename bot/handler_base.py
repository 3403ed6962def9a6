"""What the event handler and the owner's desk share: the collaborators, and the one
way an event's outcome is committed (outbox rows, audit entry and "done" together)."""

from __future__ import annotations

import time

import aiosqlite

from bot.actions import Action, Decision
from bot.agent.base import Agent
from bot.config import Settings
from bot.events import Event
from bot.executor import Executor
from bot.faults import fault
from bot.policy import PolicyGate
from bot.rules.model import Rulebook
from bot.store import AuditEntry, Claimed, Store


class HandlerBase:
    store: Store
    settings: Settings
    executor: Executor
    gate: PolicyGate
    agent: Agent | None

    async def _finish(
        self,
        claimed: Claimed,
        rulebook: Rulebook,
        actions: tuple[Action, ...],
        *,
        outcome: str,
        reasons: tuple[str, ...],
        started: float,
        event: Event | None = None,
        rule: str = "",
        blocked: tuple[str, ...] = (),
        autonomous: bool = True,
        decision: Decision | None = None,
        negotiation_state: tuple[str, str] | None = None,
    ) -> None:
        target = event or claimed.event
        async with self.store.db.transaction() as tx:
            if negotiation_state is not None:
                tx.defer(
                    "INSERT INTO negotiations (thread, state, updated_at) VALUES (?,?,?)"
                    " ON CONFLICT(thread) DO UPDATE SET state=excluded.state, updated_at=excluded.updated_at",
                    (*negotiation_state, time.time()),
                )
            applied = await self.executor.apply_in(
                tx,
                event=target,
                actions=actions,
                key_prefix=claimed.event.id,
                rule=rule,
                owner=rulebook.owner,
                autonomous=autonomous,
            )
            await self._audit_in(
                tx,
                target,
                outcome=outcome,
                reasons=reasons,
                actions=applied.descriptions,
                rule=rule,
                blocked=blocked,
                started=started,
                decision=decision,
            )
            await self.store.inbox.finish_in(tx, claimed.seq)
        fault("after_outbox_commit")

    async def _audit_in(
        self,
        tx: aiosqlite.Connection,
        event: Event,
        *,
        outcome: str,
        reasons: tuple[str, ...],
        started: float,
        actions: tuple[str, ...] = (),
        rule: str = "",
        blocked: tuple[str, ...] = (),
        decision: Decision | None = None,
    ) -> None:
        await self.store.audit.add_in(
            tx,
            AuditEntry(
                event_id=event.id,
                channel=event.channel,
                sender=event.sender,
                subject=event.subject,
                rule=rule,
                outcome=outcome,
                reasons=reasons,
                actions=actions,
                blocked=blocked,
                llm_calls=decision.llm_calls if decision else 0,
                tokens_in=decision.tokens_in if decision else 0,
                tokens_out=decision.tokens_out if decision else 0,
                duration_ms=(time.perf_counter() - started) * 1000,
            ),
        )
