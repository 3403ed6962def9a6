"""A hand-off's result comes back to the department that handed the work off: it ends
the deadline's watch (bot/departments/deadlines.py). In time, the timer is cancelled.
After the deadline, the result is still accepted and closes the matter: the overdue
question to the owner (if the owner was asked) is closed with a notice that the result
came late, and the result's audit entry says so.

Runs in its own transaction before the result is judged; every write is conditional or
keyed by the result event, so handling the result again after a crash repeats nothing.
"""

from __future__ import annotations

import dataclasses

from bot.departments import deadlines
from bot.effects.executor import Executor
from bot.owner import OwnerProfile
from bot.store import Claimed, Escalations, Store, Timers

LATE_REF = "handoff_late"  # on the result event: the audit reason that it came late


def is_final_result(claimed: Claimed) -> bool:
    refs = claimed.event.refs
    return (
        refs.get("handoff_result") == "1"
        and bool(refs.get("handoff_key"))
        and not refs.get("handoff_interim")
    )


async def settle(store: Store, claimed: Claimed, *, executor: Executor, owner: OwnerProfile) -> Claimed:
    """``claimed``, with the lateness noted on its event when the deadline had passed."""
    if not is_final_result(claimed):
        return claimed
    event = claimed.event
    key = event.refs["handoff_key"]
    async with store.db.transaction() as tx:
        found = await Timers.settle_in(tx, deadlines.timer_key(key))
        if found is None or found[0] not in ("fired", "late"):
            return claimed
        payload = found[1]
        late = f"{deadlines.LATE}{deadlines.describe(payload)}: it came after the deadline; accepted"
        asked = deadlines.overdue_escalation_key(deadlines.timer_event_id(key))
        esc_id = await Escalations.open_id_by_key_in(tx, asked)
        if esc_id is not None and await Escalations.close_in(
            tx, esc_id, state="answered", answer="the result came back, late", via="hand-off result"
        ):
            await Timers.cancel_scope_in(tx, prefixes=(), keys=(f"esc-deadline:{esc_id}",))
            await Timers.cancel_in(tx, key_prefix=f"esc-remind:{esc_id}:")
            await executor.owner_notice_in(
                tx,
                owner=owner,
                key=f"{event.id}:late",
                event_id=event.id,
                text=f'The result of the overdue hand-off "{deadlines.describe(payload)}" came back '
                f"late, from {event.sender_name or event.sender}: question #{esc_id} is closed.\n\n"
                f"{event.text[:2000]}",
            )
    noted = dataclasses.replace(event, refs={**event.refs, LATE_REF: late})
    return dataclasses.replace(claimed, event=noted)
