"""The owner pauses one task, resumes it, or calls it off ("pause task 12" from any
channel, ``deputy task pause 12``, the console's buttons): each is an owner message the
tasks desk carries out here, in one transaction with the owner's answer.

While a task is paused nothing leaves for it: its timers are held in the store (a timer
that fired just before the pause is handed back by the runner unacted on), a reply is
recorded against its contact but answers nothing, and the owner's answer to its
question waits. On resume each held timer comes back by its kind:

``task_deadline``, the question's deadline and reminders
    the task's clock stood still: due later by the time spent paused.
``task_follow_up``
    keeps its time: one that fell due in the pause fires now, once (the contact's
    status says who was nudged already, the outbox key makes the nudge once).
``task_occurrence``
    an occurrence missed in the pause is not sent late: the next one is scheduled at
    its usual time, so a standing task never sends a burst.

Then the replies that came in during the pause are evaluated as if they had just come.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.rules.model import Rulebook
from bot.store import Claimed, Timers, Tx
from bot.store.escalations import Escalations
from bot.store.tasks import Tasks, timer_scope
from bot.tasks.model import LIVE, Contact, QuotesSpec, RecurringSpec, Task
from bot.tasks.quotes import QuotesFlow
from bot.tasks.recurring import RecurringFlow
from bot.tasks.tools import TaskTools, _offer_text, _tz

COMMANDS = ("pause_task", "resume_task", "cancel_task")
STRETCHED = ("task_deadline", "escalation_deadline", "escalation_reminder")  # the task's clock
_REARMED = re.compile(r":~\d+$")


class PauseFlow:
    def __init__(self, tools: TaskTools, *, quotes: QuotesFlow, recurring: RecurringFlow) -> None:
        self.tools = tools
        self.store = tools.store
        self.quotes = quotes
        self.recurring = recurring

    async def command(self, claimed: Claimed, rulebook: Rulebook, name: str, task_id: int) -> None:
        """``name`` is one of COMMANDS; the router let only the verified owner get here."""
        event = claimed.event
        assert event.sender_verified_owner, "only the verified owner pauses, resumes or cancels a task"
        actions: list[str] = []
        async with self.store.db.transaction() as tx:
            task = await self.store.tasks.get(task_id)
            if task is None:
                text = f"There is no task #{task_id}."
            elif name == "pause_task":
                text = await self._pause(tx, task)
            elif name == "resume_task":
                text, actions = await self._resume(tx, rulebook, task, key=event.id)
            else:
                cancelled = await Tasks.cancel_in(tx, task.id, by=event.channel)
                text = (
                    f"Task #{task.id} is cancelled: nothing more is sent for it."
                    if cancelled
                    else f"Task #{task.id} is {task.state} already: nothing to cancel."
                )
            await self.tools.tell(tx, rulebook, event, text, key=name)
            await self.tools.finish_in(
                tx, claimed, "owner", (f"command {name.replace('_', ' ')} #{task_id}",), [*actions, text]
            )

    async def _pause(self, tx: Tx, task: Task) -> str:
        held = await Tasks.pause_in(tx, task.id)
        if held < 0:
            return f"Task #{task.id} is {task.state.replace('_', ' ')}: nothing to pause."
        return (
            f"Task #{task.id} is paused: nothing goes out for it until you resume it "
            f"('resume task {task.id}'). Replies that come in are kept and read then; its "
            "deadline waits with it."
        )

    async def _resume(self, tx: Tx, rulebook: Rulebook, task: Task, *, key: str) -> tuple[str, list[str]]:
        resumed = await Tasks.resume_in(tx, task.id)
        if resumed is None:
            return f"Task #{task.id} is not paused (it is {task.state.replace('_', ' ')}).", []
        back, paused_for, pauses = resumed
        assert back in LIVE
        esc = task.escalation_id if back == "needs_owner" else None
        now = self.tools.clock()
        tz = _tz(rulebook)
        lines = [f"Task #{task.id} is resumed after {_span(paused_for)} paused."]
        missed: float | None = None  # the due time of an occurrence missed in the pause
        for timer in await Timers.held_in(tx, **timer_scope(task.id, esc)):
            rekey = f"{_REARMED.sub('', timer.key)}:~{pauses}"
            if timer.kind in STRETCHED:
                due = timer.due_at + paused_for
                await Timers.release_in(tx, timer, due_at=due, rekey=rekey)
                if timer.kind == "task_deadline":
                    lines.append(f"Its deadline moves by as much, to {_at(due, tz)}.")
            elif timer.kind == "task_occurrence" and timer.due_at <= now:
                await Timers.drop_held_in(tx, timer)
                missed = max(missed or 0.0, float(timer.payload.get("due", "0") or 0), timer.due_at)
            else:
                await Timers.release_in(tx, timer, due_at=timer.due_at, rekey=rekey)
                if timer.kind == "task_follow_up" and timer.due_at <= now:
                    lines.append("The follow-up that fell due meanwhile goes now.")
        if esc is not None:
            await Escalations.extend_in(tx, esc, paused_for)
        actions: list[str] = [f"task #{task.id}: resumed ({back})"]
        fresh = await self.store.tasks.get(task.id)
        assert fresh is not None
        if missed is not None and isinstance(fresh.spec, RecurringSpec):
            # Strictly after the missed one too: its period's timer is spent, so the next
            # run must be a later period, even if the clock says otherwise.
            after = max(now, missed)
            nxt = await self.recurring.schedule_next(tx, rulebook, fresh, fresh.spec, after=after)
            lines.append(f"The run missed while paused is skipped; {nxt[-1]}.")
            actions += nxt
        came = [c for c in fresh.contacts if c.reply_event and c.updated_at >= task.paused_at]
        if came:
            lines.append("While it was paused: " + "; ".join(_reply_line(c) for c in came) + ".")
        actions += await self._evaluate(tx, rulebook, fresh, key=key)
        return " ".join(lines), actions

    async def _evaluate(self, tx: Tx, rulebook: Rulebook, task: Task, *, key: str) -> list[str]:
        """The replies kept during the pause, read now as ``QuotesFlow.reply`` would have:
        with nobody left to wait for, the task concludes."""
        spec = task.spec
        if task.state != "waiting" or not isinstance(spec, QuotesSpec):
            return []
        pending = tuple(c.address for c in task.contacts if c.status in ("requested", "followed_up"))
        if pending:
            await Tasks.move_in(tx, task.id, "waiting", waiting_on=pending)
            return []
        return await self.quotes.conclude(tx, rulebook, task, spec, key=key)

    async def held_reminder(self, claimed: Claimed) -> None:
        """A reminder of a paused task's question that fired just before the pause."""
        async with self.store.db.transaction() as tx:
            done = await self.hand_back(tx, claimed.event.refs.get("timer_key", ""))
            await self.tools.finish_in(tx, claimed, "task", ("reminder of a paused task's question",), [done])

    @staticmethod
    async def hand_back(tx: Tx, timer_key: str) -> str:
        """A timer that fired for a task paused meanwhile: kept for the resume, unacted on."""
        await Timers.defer_in(tx, timer_key)
        return "task paused: held until it is resumed"


def _reply_line(c: Contact) -> str:
    if c.status == "unclear":
        return f"{c.address} replied (price unclear)"
    return f"{c.address} replied ({_offer_text(c)})"


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def _at(when: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(when, tz).strftime("%a %d %b %H:%M")
