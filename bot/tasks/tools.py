"""What every part of the task runner shares (``TaskTools``): acting through the gate and
outbox, telling the owner, finishing an event. Held by each part, not inherited."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.agent.llm_client import LLMClient

from bot.actions import Action, Decision, Notify, Reply
from bot.config import Settings
from bot.effects import asking
from bot.effects.asking import hold_for_approval, preview
from bot.effects.executor import Executor
from bot.effects.reply_message import addressed, reply_target
from bot.events import Event
from bot.gate.policy import GateContext, PolicyGate, money_in
from bot.pipeline.commit import Commit
from bot.rules.model import Limits, Money, Rule, Rulebook, RuleHeader
from bot.store import Claimed, Store, Tx, thread_key
from bot.tasks.model import (
    Contact,
    QuotesSpec,
    Task,
    TaskError,
)

log = logging.getLogger("deputy.tasks")
DAY = 86400.0


class TaskTools:
    """What every part of the task runner uses: the collaborators, acting through the gate
    and the outbox, telling the owner, finishing an event."""

    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        executor: Executor,
        gate: PolicyGate,
        commit: Commit,
        clock: Callable[[], float],
        llm: LLMClient | None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.executor = executor
        self.gate = gate
        self.commit = commit
        self.clock = clock
        self.llm = llm

    def mail_channel(self, wanted: str) -> str:
        mail = self.executor.channels.mail_channels()
        if wanted:
            if wanted not in mail:
                raise TaskError(f"channel {wanted!r} is not a configured mail channel")
            return wanted
        if mail:
            return mail[0]
        raise TaskError("no mail channel is configured, so I cannot write to anyone")

    # ----- creating a task ----------------------------------------------------------------
    def opening(self, task: Task, *, channel: str, address: str, thread: str, subject: str, n: int) -> Event:
        """A conversation Deputy opens for a task: the recipient as counterpart, no parent."""
        return Event(
            id=f"task:{task.id}:{n}",
            channel=channel,
            kind="message",
            thread=thread,
            sender=address,
            received_at=datetime.now(UTC),
            recipients=tuple(self.settings.deputy.addresses[:1]),
            subject=subject,
            refs={"channel_type": self.executor.channel_types.get(channel, ""), "task_opening": "1"},
        )

    def rule_for(self, task: Task) -> Rule:
        spec = task.spec
        amount = Money(max=spec.budget_max, currency=spec.currency) if isinstance(spec, QuotesSpec) else None
        header = RuleHeader(
            name=f"task:{task.id}",
            description=f"task #{task.id}: {task.title}",
            may=["reply"],
            limits=Limits(amount=amount, replies_per_thread=4),
        )
        owner_words = spec.request if isinstance(spec, QuotesSpec) else spec.text
        return Rule(
            name=f"task:{task.id}",
            path=Path(f"<task {task.id}>"),
            header=header,
            instructions="\n".join((owner_words, spec.note)),
        )

    async def act(
        self,
        tx: Tx,
        rulebook: Rulebook,
        task: Task,
        event: Event,
        actions: list[Action],
        *,
        key_prefix: str,
        owner_ok: bool = False,
    ) -> list[str]:
        rule = self.rule_for(task)
        now = time.time()
        thread = thread_key(event)
        # Where each message goes is decided here, before the gate (a reply's Reply-To is
        # the counterpart's to write, and is checked against the task's recipients).
        actions = list(addressed(tuple(actions), reply_target(event)))
        counted = {a.lower() for m in actions if isinstance(m, Reply) for a in (*m.to, *m.cc)}
        sends = await self.store.outbox.sends_to_each({event.sender.lower(), *counted}, since=now - DAY)
        ctx = GateContext(
            event=event,
            rule=rule,
            participants=frozenset(task.spec.to),  # the task grants exactly its recipients
            replies_in_thread_24h=await self.store.outbox.autonomous_replies(thread, since=now - DAY),
            sends_to_correspondent_24h=sends.get(event.sender.lower(), 0),
            sends_to_24h=sends,
            replies_per_thread_cap=self.settings.limits.replies_per_thread,
            sends_per_correspondent_cap=self.settings.limits.sends_per_correspondent,
            owner_addresses=frozenset(rulebook.owner.emails),
            trusted_text="\n".join((rule.instructions, *(await self.store.outbox.sent_texts(thread)))),
            owner_authorized=owner_ok,
            owner_saw=tuple(actions) if owner_ok else (),
        )
        decision = Decision(actions=tuple(actions), rule=rule.name)
        result = self.gate.check(decision, ctx)
        allowed: list[Action] = list(result.allowed)
        escalation = asking.blocked(result, decision)
        if escalation is not None:
            allowed.append(escalation)
        if not owner_ok and await self.store.kv.get("paused") == "1":

            def question(held: tuple[Action, ...]) -> str:
                return f"Autonomy is paused. For task #{task.id} I would do:\n\n{preview(held)}\n\nGo ahead?"

            allowed = hold_for_approval(allowed, outgoing=(Reply,), rule=rule.name, question=question)
        applied = await self.executor.apply_in(
            tx,
            event=event,
            actions=tuple(allowed),
            key_prefix=key_prefix,
            rule=rule.name,
            owner=rulebook.owner,
            autonomous=not owner_ok,
        )
        return [*applied.descriptions, *(f"blocked {type(a).__name__}: {why}" for a, why in result.blocked)]

    async def tell(
        self,
        tx: Tx,
        rulebook: Rulebook,
        event: Event | None,
        text: str,
        *,
        key: str,
        task: Task | None = None,
    ) -> None:
        """Tell the owner: on the channel they wrote from, or their preferred one."""
        channel = (
            event.channel if event is not None and event.channel in self.executor.channel_types else None
        )
        if event is not None and event.kind not in ("owner_message", "owner_answer"):
            channel = None
        await self.executor.apply_in(
            tx,
            event=event or _task_event(task),
            actions=(Notify(text=text, channel=channel or ""),),
            key_prefix=f"{(event.id if event else 'task')}:{key}",
            rule="",
            owner=rulebook.owner,
            autonomous=False,
        )

    async def finish_in(
        self,
        tx: Tx,
        claimed: Claimed,
        outcome: str,
        reasons: tuple[str, ...],
        actions: list[str],
    ) -> None:
        subject = claimed.event.subject or (reasons[0] if reasons else "")
        await self.commit.finish_in(
            tx, claimed, outcome=outcome, reasons=reasons, actions=actions, subject=subject
        )


def _price(text: str, currency: str) -> tuple[float | None, str]:
    """The quoted price: the first amount in the task's currency, else the first with any."""
    found = [(amount, cur) for amount, cur in money_in(text) if cur]
    for amount, cur in found:
        if cur == currency:
            return amount, cur
    return found[0] if found else (None, "")


def _offer_text(c: Contact) -> str:
    return f"{c.offer:g} {c.currency}" if c.offer is not None else "no price"


def _task_event(task: Task | None) -> Event:
    tid = task.id if task else 0
    return Event(
        id=f"task:{tid}:report",
        channel="scheduler",
        kind="notice",
        thread=f"task-{tid}",
        sender="",
        received_at=datetime.now(UTC),
        subject=task.title if task else "task",
    )


def _tz(rulebook: Rulebook):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(rulebook.owner.timezone)
