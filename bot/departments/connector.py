"""The internal channel hand-offs travel on: an outbox row in, one inbox event out.

The sender (bot/effects/sender.py) delivers a hand-off row like any other; delivering
means committing the target's event to the inbox. The event id comes from the row's
key, so a redelivery after a crash is ignored by the inbox (INSERT OR IGNORE): the target
gets the work exactly once, and the row is marked sent only after that commit.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.channels.contract import Capabilities, Emit
from bot.delivery import Delivery
from bot.departments.handoff import CHANNEL, event_for, result_event, result_of_task
from bot.errors import PermanentError, TransientError
from bot.faults import fault


class DepartmentsConnector:
    name = CHANNEL
    capabilities = Capabilities(threads=True)

    def __init__(self) -> None:
        self._emit: Emit | None = None

    async def start(self, emit: Emit) -> None:
        self._emit = emit

    async def stop(self) -> None:
        self._emit = None

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        if self._emit is None:
            raise TransientError("the departments channel is not started")
        data = delivery.payload
        if delivery.op != "send":
            return {"skipped": delivery.op}  # filing a hand-off: nothing to move
        if "handoff" in data:
            event = event_for(delivery.key, data["handoff"])
        elif "result" in data:
            event = result_of_task(delivery.key, data["result"])
        else:
            refs = {str(k): str(v) for k, v in dict(data.get("refs") or {}).items()}
            found = result_event(delivery.key, data, thread=str(data.get("thread", "")), refs=refs)
            if found is None:
                raise PermanentError("a reply in a hand-off thread names no department")
            event = found
        await self._emit(event)
        fault("after_handoff_emit")
        return {"event_id": event.id}
