"""The one way an event is finished: its outbox rows (through the executor), the
negotiation state it changed, its audit entry and "done" in the inbox, in one transaction.

Every desk, the scheduler's desk and the worker's quarantine finish through here, so a
crash at any point is repaired by handling the event again."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.actions import Action, Decision
from bot.effects.executor import Executor
from bot.events import Event
from bot.facts import Facts
from bot.faults import fault
from bot.rules.model import Rulebook
from bot.store import AuditEntry, Claimed, Store, Tx, thread_key


@dataclass(frozen=True, slots=True)
class Finished:
    """What a dry run would have committed for one event."""

    event: Event
    outcome: str
    reasons: tuple[str, ...]
    actions: tuple[Action, ...] = ()
    descriptions: tuple[str, ...] = ()
    rule: str = ""
    blocked: tuple[str, ...] = ()
    decision: Decision | None = None
    facts: Facts | None = None


class Commit:
    """``dry_run=True``: nothing is written; each finish is recorded in ``finished``
    instead (``deputy try`` runs the daemon's desks with it, against a throw-away store)."""

    def __init__(self, *, store: Store, executor: Executor, dry_run: bool = False) -> None:
        self.store = store
        self.executor = executor
        self.dry_run = dry_run
        self.finished: list[Finished] = []

    async def finish(
        self,
        claimed: Claimed,
        rulebook: Rulebook,
        actions: tuple[Action, ...],
        *,
        outcome: str,
        reasons: tuple[str, ...],
        started: float | None = None,
        event: Event | None = None,
        rule: str = "",
        blocked: tuple[str, ...] = (),
        autonomous: bool = True,
        decision: Decision | None = None,
        negotiation_state: tuple[str, str] | None = None,
        facts: Facts | None = None,
    ) -> None:
        """Apply ``actions`` on behalf of ``event`` (default: the claimed one) and finish;
        a judged message's ``facts`` are kept with it (``deputy log``, payees on file)."""
        target = event or claimed.event
        if self.dry_run:
            self.finished.append(
                Finished(
                    event=target,
                    outcome=outcome,
                    reasons=reasons,
                    actions=actions,
                    rule=rule,
                    blocked=blocked,
                    decision=decision,
                    facts=facts,
                )
            )
            return
        async with self.store.db.transaction() as tx:
            if target.id == claimed.event.id and thread_key(target) != claimed.thread_key:
                await self.store.inbox.rebind_in(tx, claimed.seq, thread_key(target))
            if negotiation_state is not None:
                await self.store.negotiations.save_in(tx, *negotiation_state)
            if facts is not None:
                await self.store.message_facts.save_in(
                    tx, event_id=target.id, sender=target.sender, thread=thread_key(target), facts=facts
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
            await self.finish_in(
                tx,
                claimed,
                outcome=outcome,
                reasons=reasons,
                actions=applied.descriptions,
                event=target,
                rule=rule,
                blocked=blocked,
                started=started,
                decision=decision,
            )
        fault("after_outbox_commit")

    async def finish_in(
        self,
        tx: Tx,
        claimed: Claimed,
        *,
        outcome: str,
        reasons: tuple[str, ...],
        actions: Sequence[str] = (),
        event: Event | None = None,
        rule: str = "",
        blocked: tuple[str, ...] = (),
        started: float | None = None,
        decision: Decision | None = None,
        subject: str | None = None,
        sender: str | None = None,
    ) -> None:
        """Inside the caller's transaction: the audit entry, then "done" in the inbox."""
        if self.dry_run:  # (the desk's own transaction is the dry run's throw-away store)
            self.finished.append(
                Finished(
                    event=event or claimed.event,
                    outcome=outcome,
                    reasons=reasons,
                    descriptions=tuple(actions),
                    rule=rule,
                    blocked=blocked,
                    decision=decision,
                )
            )
            return
        await self.audit_in(
            tx,
            event or claimed.event,
            outcome=outcome,
            reasons=reasons,
            actions=actions,
            rule=rule,
            blocked=blocked,
            started=started,
            decision=decision,
            subject=subject,
            sender=sender,
        )
        await self.store.inbox.finish_in(tx, claimed.seq)

    async def audit_in(
        self,
        tx: Tx,
        event: Event,
        *,
        outcome: str,
        reasons: tuple[str, ...],
        actions: Sequence[str] = (),
        rule: str = "",
        blocked: tuple[str, ...] = (),
        started: float | None = None,
        decision: Decision | None = None,
        subject: str | None = None,
        sender: str | None = None,
    ) -> None:
        await self.store.audit.add_in(
            tx,
            AuditEntry(
                event_id=event.id,
                channel=event.channel,
                sender=event.sender if sender is None else sender,
                subject=event.subject if subject is None else subject,
                rule=rule,
                outcome=outcome,
                reasons=reasons,
                actions=tuple(actions),
                blocked=blocked,
                llm_calls=decision.llm_calls if decision else 0,
                tokens_in=decision.tokens_in if decision else 0,
                tokens_out=decision.tokens_out if decision else 0,
                duration_ms=(time.perf_counter() - started) * 1000 if started is not None else 0.0,
            ),
        )

    async def quarantine(self, claimed: Claimed, rulebook: Rulebook, reason: str) -> None:
        """A poison event: set aside with its reason, the owner told once, audited."""
        event = claimed.event
        if self.dry_run:
            self.finished.append(Finished(event=event, outcome="quarantined", reasons=(reason,)))
            return
        async with self.store.db.transaction() as tx:
            await self.store.inbox.quarantine_in(tx, claimed.seq, error=reason)
            await self.executor.owner_notice_in(
                tx,
                owner=rulebook.owner,
                key=f"quarantine:{event.id}",
                event_id=event.id,
                text=f"I could not process a message from {event.sender or event.channel} "
                f"({event.subject or 'no subject'}) after {claimed.attempts} attempts and set it "
                f"aside. Reason: {reason}",
            )
            await self.audit_in(tx, event, outcome="quarantined", reasons=(reason,))
