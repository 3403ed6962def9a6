"""Carries tasks out (issue 7) through the same executor, outbox and policy gate.

A task grants exactly its named recipients: every message it sends is checked by the
policy gate with a ``GateContext`` whose participants are the task's contacts and a
synthetic rule (``task:<id>``) that allows replies only, with the task's budget as the
amount limit. What the gate blocks becomes an ordinary escalation, as for any rule.

The handler hands over (``intercept``): the owner's ``task:`` messages, replies in the
conversations a task opened, the owner's answers to a task's question, and task timers.
Each is handled in one transaction with its outbox rows, so a crash redoes it whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.agent.llm_client import LLMClient

from bot.actions import Reply
from bot.commit import Commit
from bot.config import Settings
from bot.events import Event
from bot.executor import Executor
from bot.policy import PolicyGate
from bot.router import Answer, Instruction, Judge, Route, Scheduled
from bot.rules.model import Rulebook
from bot.store import Claimed, Store
from bot.store.tasks import Tasks
from bot.task_base import TaskBase, _offer_text, _price, _task_event, _tz  # noqa: F401
from bot.task_intake import TaskIntake
from bot.task_quotes import QuotesFlow
from bot.task_recurring import RecurringFlow
from bot.tasks import (
    QuotesSpec,
    RecurringSpec,
    is_task_text,
)


class TaskRunner(TaskIntake, QuotesFlow, RecurringFlow, TaskBase):
    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        executor: Executor,
        gate: PolicyGate | None = None,
        clock: Callable[[], float] = time.time,
        llm: LLMClient | None = None,
        commit: Commit | None = None,
    ) -> None:
        self.llm = llm  # only to turn free-text tasks into structured ones
        self.store = store
        self.settings = settings
        self.executor = executor
        self.gate = gate or PolicyGate()
        self.clock = clock
        self.commit = commit or Commit(store=store, executor=executor)

    # ----- the hand-over from the handler ------------------------------------------------
    async def intercept(self, claimed: Claimed, rulebook: Rulebook, route: Route) -> bool:
        """True when the event belongs to a task and was handled (and finished) here."""
        event = claimed.event
        match route:
            case Instruction(text) if is_task_text(text):
                await self._create(claimed, rulebook, text)
                return True
            case Answer() if (task := await self.store.tasks.by_escalation(route.escalation.id)) is not None:
                await self._answer(claimed, rulebook, route, task)
                return True
            case Scheduled("timer_due") if (
                event.refs.get("timer_kind") == "escalation_deadline"
                and (task := await self.store.tasks.by_escalation(int(event.refs.get("escalation_id") or 0)))
                is not None
            ):
                await self._question_expired(claimed, rulebook, task)
                return True
            case Scheduled("timer_due") if event.refs.get("timer_kind", "").startswith("task_"):
                await self._timer(claimed, rulebook)
                return True
            case Judge() if route.event is event:
                contact = await self._contact_for(event)
                if contact is None:
                    return False
                task = await self.store.tasks.get(contact.task_id)
                if task is None or task.state in ("done", "failed"):
                    return False  # after the task: an ordinary message again
                await self._reply(claimed, rulebook, contact)
                return True
        return False

    async def _timer(self, claimed: Claimed, rulebook: Rulebook) -> None:
        event = claimed.event
        kind = event.refs.get("timer_kind", "")
        actions: list[str] = []
        async with self.store.db.transaction() as tx:
            task = await self.store.tasks.get(int(event.refs.get("task_id", "0")))
            if task is None or task.state in ("done", "failed"):
                actions.append("task already closed")
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
                    actions += await self._act(
                        tx,
                        rulebook,
                        task,
                        nudge,
                        [Reply(text=text)],
                        key_prefix=f"task:{task.id}:follow_up:{c.n}",
                    )
                    await Tasks.update_contact_in(tx, task.id, c.n, status="followed_up")
            elif kind == "task_deadline" and isinstance(task.spec, QuotesSpec) and task.state == "waiting":
                actions += await self._conclude(tx, rulebook, task, task.spec, key=event.id)
            elif kind == "task_occurrence" and isinstance(task.spec, RecurringSpec):
                actions += await self._occurrence(tx, rulebook, task, task.spec, event)
            await self._finish_in(
                tx, claimed, "task", (f"{kind} of task #{event.refs.get('task_id')}",), actions
            )
