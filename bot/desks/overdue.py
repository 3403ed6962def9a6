"""A hand-off's deadline passed (bot/departments/deadlines.py): the sending department's
``handoff_deadline`` event asks upwards once, by role.

The question is an ordinary escalation applied by the sending department's executor, so
it goes where that department's questions go: its supervising department (as a question
hand-off) or the owner, naming the chain. It is keyed by the timer's event, which fires
once; a result that came back while the event waited in the inbox leaves nothing to ask.
"""

from __future__ import annotations

from bot.departments import deadlines
from bot.effects.executor import Executor
from bot.events import Event
from bot.rules.model import Rulebook
from bot.store import Timers, Tx


async def overdue_in(tx: Tx, event: Event, *, executor: Executor, rulebook: Rulebook) -> list[str]:
    key = event.refs.get("timer_key", "")
    if await Timers.state_in(tx, key) != "fired":  # cancelled, or late: the result is in
        return [f"hand-off {event.refs.get('handoff_key', '')}: the result came back, nothing to ask"]
    question = deadlines.overdue_question(event)
    applied = await executor.apply_in(
        tx,
        event=event,
        actions=(question,),
        key_prefix=f"{event.id}:overdue",
        rule="",
        owner=rulebook.owner,
        autonomous=False,
    )
    return [f"{deadlines.OVERDUE}{deadlines.describe(event.refs)}", *applied.descriptions]
