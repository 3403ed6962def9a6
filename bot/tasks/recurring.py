"""Standing tasks on a schedule: one timer per period, keyed by the local date, so
each occurrence fires exactly once across restarts and downtime."""

from __future__ import annotations

from datetime import datetime

from bot.actions import Reply
from bot.delivery import message_id_for
from bot.events import Event
from bot.rules.model import Rulebook
from bot.store import Timers, Tx
from bot.store.tasks import Tasks
from bot.tasks.model import (
    RecurringSpec,
    Task,
    next_occurrence,
)
from bot.tasks.tools import TaskTools, _offer_text, _price, _task_event, _tz  # noqa: F401


class RecurringFlow:
    def __init__(self, tools: TaskTools) -> None:
        self.tools = tools
        self.store = tools.store
        self.settings = tools.settings
        self.executor = tools.executor
        self.clock = tools.clock

    async def schedule_next(
        self, tx: Tx, rulebook: Rulebook, task: Task, spec: RecurringSpec, *, after: float
    ) -> list[str]:
        tz = _tz(rulebook)
        period, due = next_occurrence(spec.every, after=max(after, self.clock()), tz=tz)
        await Timers.add_in(
            tx,
            key=f"task:{task.id}:occurrence:{period}",  # one timer per period: fires once
            due_at=due,
            kind="task_occurrence",
            payload={
                "task_id": str(task.id),
                "period": period,
                "due": repr(due),
                "channel": "scheduler",
                "thread": f"task-{task.id}",
            },
        )
        if task.state == "planned":
            await Tasks.move_in(tx, task.id, "waiting", waiting_on=())
        when = datetime.fromtimestamp(due, tz).strftime("%a %d %b %H:%M")
        return [f"next run {when}"]

    # ----- replies in a task's conversations -------------------------------------------------
    async def occurrence(
        self, tx: Tx, rulebook: Rulebook, task: Task, spec: RecurringSpec, event: Event
    ) -> list[str]:
        period = event.refs.get("period", "")
        channel = self.tools.mail_channel(spec.channel)
        done: list[str] = []
        for n, address in enumerate(spec.to):
            prefix = f"task:{task.id}:occurrence:{period}:{n}"
            mid = message_id_for(f"{prefix}:0:reply", domain=self.settings.deputy.message_id_domain)
            opening = self.tools.opening(
                task, channel=channel, address=address, thread=mid, subject=spec.subject, n=n
            )
            done += await self.tools.act(
                tx, rulebook, task, opening, [Reply(text=spec.text)], key_prefix=prefix
            )
        await Tasks.set_result_in(tx, task.id, f"last run {period}")
        due = float(event.refs.get("due", "0") or 0)
        done += await self.schedule_next(tx, rulebook, task, spec, after=due)
        return done

    # ----- the gate and the executor ------------------------------------------------------------
