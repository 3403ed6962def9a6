"""Carries tasks out (issue 7) through the same executor, outbox and policy gate.

A task grants exactly its named recipients: every message it sends is checked by the
policy gate with a ``GateContext`` whose participants are the task's contacts and a
synthetic rule (``task:<id>``) that allows replies only, with the task's budget as the
amount limit. What the gate blocks becomes an ordinary escalation, as for any rule.

The runner is composed of its parts: ``tools`` (shared), ``intake`` (orders and standing
tasks), ``quotes`` and ``recurring`` (the two kinds of task), ``pauses`` (the owner's
pause, resume and cancel of one task). The tasks desk
(bot/desks/tasks.py) claims the events and hands them to these parts; each is handled in
one transaction with its outbox rows, so a crash redoes it whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.agent.llm_client import LLMClient

from bot.actions import Reply
from bot.config import Settings
from bot.effects.executor import Executor
from bot.events import Event
from bot.gate.policy import PolicyGate
from bot.pipeline.commit import Commit
from bot.rules.model import Rule, Rulebook
from bot.store import Claimed, Store
from bot.store.tasks import Tasks
from bot.tasks.intake import TaskIntake
from bot.tasks.model import QuotesSpec, RecurringSpec, Task
from bot.tasks.pauses import PauseFlow
from bot.tasks.quotes import QuotesFlow
from bot.tasks.recurring import RecurringFlow
from bot.tasks.tools import TaskTools


class TaskRunner:
    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        executor: Executor,
        gate: PolicyGate | None = None,
        clock: Callable[[], float] = time.time,
        llm: LLMClient | None = None,  # only to turn free-text tasks into structured ones
        commit: Commit | None = None,
    ) -> None:
        self.store = store
        self.executor = executor
        self.tools = TaskTools(
            store=store,
            settings=settings,
            executor=executor,
            gate=gate or PolicyGate(),
            commit=commit or Commit(store=store, executor=executor),
            clock=clock,
            llm=llm,
        )
        self.quotes = QuotesFlow(self.tools)
        self.recurring = RecurringFlow(self.tools)
        self.intake = TaskIntake(self.tools, quotes=self.quotes, recurring=self.recurring)
        self.pauses = PauseFlow(self.tools, quotes=self.quotes, recurring=self.recurring)

    async def sync_standing(self, rules_dir: Path, rulebook: Rulebook) -> list[int]:
        return await self.intake.sync_standing(rules_dir, rulebook)

    def rule_for(self, task: Task) -> Rule:
        return self.tools.rule_for(task)

    async def timer(self, claimed: Claimed, rulebook: Rulebook) -> None:
        event = claimed.event
        kind = event.refs.get("timer_kind", "")
        actions: list[str] = []
        async with self.store.db.transaction() as tx:
            task = await self.store.tasks.get(int(event.refs.get("task_id", "0")))
            if task is None or task.state in ("done", "failed"):
                actions.append("task already closed")
            elif task.state == "paused":  # fired just before the pause: kept for the resume
                actions.append(await self.pauses.hand_back(tx, event.refs.get("timer_key", "")))
            elif kind == "task_follow_up" and isinstance(task.spec, QuotesSpec) and task.state == "waiting":
                for c in task.contacts:
                    if c.status != "requested":
                        continue  # answered, or already followed up: one follow-up only
                    nudge = Event(
                        id=f"task:{task.id}:{c.n}",
                        channel=c.channel,
                        kind="message",
                        thread=c.thread,
                        sender=c.address,
                        received_at=datetime.now(UTC),
                        subject=task.spec.subject,
                        refs={
                            "channel_type": self.executor.channel_types.get(c.channel, ""),
                            "message_id": c.thread,
                        },
                    )
                    text = (
                        "A friendly reminder about our request below; could you send us your quote?"
                        f"\n\n> {task.spec.request}"
                    )
                    actions += await self.tools.act(
                        tx,
                        rulebook,
                        task,
                        nudge,
                        [Reply(text=text)],
                        key_prefix=f"task:{task.id}:follow_up:{c.n}",
                    )
                    await Tasks.update_contact_in(tx, task.id, c.n, status="followed_up")
            elif kind == "task_deadline" and isinstance(task.spec, QuotesSpec) and task.state == "waiting":
                actions += await self.quotes.conclude(tx, rulebook, task, task.spec, key=event.id)
            elif kind == "task_occurrence" and isinstance(task.spec, RecurringSpec):
                actions += await self.recurring.occurrence(tx, rulebook, task, task.spec, event)
            await self.tools.finish_in(
                tx, claimed, "task", (f"{kind} of task #{event.refs.get('task_id')}",), actions
            )
