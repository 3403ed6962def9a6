"""The command line as the owner's channel (``cli``): the default when no chat is set up.

Prompts are stored as escalations in the database; ``deputy inbox`` lists them and
``deputy answer`` answers them by inserting an ``owner_answer`` event. This connector
only logs what would be shown and appends it to ``<data_dir>/owner.log`` so a user who
runs the daemon in a terminal sees questions as they come.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from bot.channels.contract import Capabilities, ConnectorRuntime, Emit
from bot.delivery import Delivery
from bot.errors import TransientError

log = logging.getLogger("deputy.owner")


class ConsoleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True


SETTINGS = ConsoleSettings
CAPABILITIES = Capabilities(prompts=True, wakes_owner=False)


class ConsoleConnector:
    def __init__(self, *, name: str, runtime: ConnectorRuntime) -> None:
        self.name = name
        self.runtime = runtime

    async def start(self, emit: Emit) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        text = str(delivery.payload.get("text", ""))
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        path = self.runtime.data_dir / "owner.log"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(f"--- {stamp} [{delivery.op}] {delivery.key}\n{text}\n")
        except OSError as exc:  # a full disk empties again: retried with backoff
            raise TransientError(f"cannot write {path}: {exc.strerror or exc}") from exc
        log.info("for the owner:\n%s", text)
        esc = delivery.payload.get("escalation_id")
        return {"prompt_ref": str(esc)} if esc is not None else {}


def create(*, name: str, settings: BaseModel, runtime: ConnectorRuntime) -> ConsoleConnector:
    return ConsoleConnector(name=name, runtime=runtime)
