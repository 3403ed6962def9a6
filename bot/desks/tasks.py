"""The tasks desk (issue 7): the owner's ``task:`` orders and their "pause task N",
"resume task N", "cancel task N", replies in the conversations a task opened, the
owner's answers to a task's question, and task timers. The work itself is done by the
composed parts of ``TaskRunner`` (intake, quotes, recurring, pauses)."""

from __future__ import annotations

from bot.pipeline.router import Answer, Command, Instruction, Judge, Route, Scheduled
from bot.rules.model import Rulebook
from bot.store import Claimed
from bot.tasks.model import Contact, is_task_text
from bot.tasks.pauses import COMMANDS
from bot.tasks.runner import TaskRunner


class TasksDesk:
    def __init__(self, runner: TaskRunner) -> None:
        self.runner = runner
        self.store = runner.store

    async def claims(self, claimed: Claimed, route: Route) -> bool:
        event = claimed.event
        match route:
            case Instruction(text):
                return is_task_text(text)
            case Command(name):
                return name in COMMANDS
            case Answer():
                return await self.store.tasks.by_escalation(route.escalation.id) is not None
            case Scheduled("timer_due"):
                kind = event.refs.get("timer_kind", "")
                if kind.startswith("task_"):
                    return True
                if kind == "escalation_deadline":
                    esc_id = int(event.refs.get("escalation_id") or 0)
                    return await self.store.tasks.by_escalation(esc_id) is not None
                if kind == "escalation_reminder":  # the scheduled desk's, unless its task is paused
                    task = await self.store.tasks.by_escalation(int(event.refs.get("escalation_id") or 0))
                    return task is not None and task.state == "paused"
                return False
            case Judge() if route.event.id == event.id:  # not an owner's forward (a peer's mail is read anew)
                return self._task_contact(claimed, route) is not None
        return False

    async def handle(self, claimed: Claimed, rulebook: Rulebook, route: Route, started: float) -> None:
        event = claimed.event
        runner = self.runner
        match route:
            case Instruction(text):
                await runner.intake.create(claimed, rulebook, text)
                return
            case Command(name, arg) if name in COMMANDS:
                await runner.pauses.command(claimed, rulebook, name, int(arg))
                return
            case Answer():
                task = await self.store.tasks.by_escalation(route.escalation.id)
                if task is not None:
                    await runner.quotes.answer(claimed, rulebook, route, task)
                    return
            case Scheduled("timer_due") if event.refs.get("timer_kind") == "escalation_reminder":
                await runner.pauses.held_reminder(claimed)
                return
            case Scheduled("timer_due") if event.refs.get("timer_kind") == "escalation_deadline":
                task = await self.store.tasks.by_escalation(int(event.refs.get("escalation_id") or 0))
                if task is not None:
                    await runner.quotes.question_expired(claimed, rulebook, task)
                    return
            case Scheduled("timer_due"):
                await runner.timer(claimed, rulebook)
                return
            case Judge():
                contact = self._task_contact(claimed, route)
                if contact is not None:
                    await runner.quotes.reply(claimed, rulebook, contact, route.facts)
                    return
        raise ValueError(f"the tasks desk does not handle {type(route).__name__} for {event.id}")

    @staticmethod
    def _task_contact(claimed: Claimed, route: Judge) -> Contact | None:
        """The task counterpart who wrote into a running task's conversation. The router
        read the task conversation with the facts (one round trip); someone else writing
        into the thread is not the task's counterpart."""
        contact = route.known.task_contact
        if contact is None or claimed.event.sender.lower() != contact.address:
            return None
        return contact
