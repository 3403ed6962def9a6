"""Delivers outbox rows through their connectors, after the transaction that wrote them.

Errors arrive already translated by the connector (bot.errors): transient ones are
retried with capped, jittered backoff (honouring retry_after from a 429), permanent
ones fail the row and tell the owner. A row is marked ``sending`` before the call, so a
crash mid-call is detected on restart and the connector is told the send is in doubt.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping

from bot.connector import Connector
from bot.delivery import Delivery
from bot.dispatcher import Dispatcher
from bot.errors import AuthFailed, InDoubt, PermanentError, TransientError
from bot.faults import fault
from bot.store import Escalations, Store

log = logging.getLogger("deputy.sender")

Notice = Callable[[str, str], Awaitable[None]]  # (key, text) -> tell the owner once


class Sender(Dispatcher[tuple[Delivery, str, "int | None"]]):
    def __init__(
        self,
        *,
        store: Store,
        connectors: Mapping[str, Connector],
        notice: Notice,
        concurrency: int = 8,
        max_attempts: int = 8,
        idle_poll_seconds: float = 0.25,
    ) -> None:
        super().__init__(concurrency=concurrency, idle_poll_seconds=idle_poll_seconds)
        self.store = store
        self.connectors = connectors
        self.notice = notice
        self.max_attempts = max_attempts

    async def claim(self, *, limit: int, busy_threads: set[str]) -> list[tuple[Delivery, str, int | None]]:
        return await self.store.outbox.claim(limit=limit, busy_threads=busy_threads)

    def thread_of(self, item: tuple[Delivery, str, int | None]) -> str:
        return item[1]

    async def work(self, item: tuple[Delivery, str, int | None]) -> None:
        delivery, _, escalation_id = item
        await self._deliver(delivery, escalation_id)

    def _backoff(self, attempts: int) -> float:
        return min(300.0, 1.0 * 2 ** (attempts - 1)) * random.uniform(0.5, 1.0)

    async def _deliver(self, delivery: Delivery, escalation_id: int | None) -> None:
        connector = self.connectors.get(delivery.connector)
        if connector is None:
            await self.store.outbox.mark_failed(
                delivery.key, error=f"no enabled channel named {delivery.connector!r}"
            )
            return
        try:
            receipt = dict(await connector.deliver(delivery))
            fault("after_250")
        except TransientError as exc:
            if delivery.attempts >= self.max_attempts:
                await self.store.outbox.mark_failed(delivery.key, error=str(exc))
                await self.notice(
                    f"delivery-failed:{delivery.key}",
                    f"I could not deliver a message through {delivery.connector} after "
                    f"{delivery.attempts} attempts: {exc}",
                )
                return
            delay = exc.retry_after if exc.retry_after is not None else self._backoff(delivery.attempts)
            log.warning("delivery %s: transient error, retry in %.1fs: %s", delivery.key, delay, exc)
            await self.store.outbox.mark_retry(delivery.key, error=str(exc), delay=delay)
            return
        except AuthFailed as exc:
            log.error("channel %s: authentication failed: %s", delivery.connector, exc)
            await self.store.outbox.mark_retry(delivery.key, error=str(exc), delay=300.0)
            await self.notice(
                f"auth-failed:{delivery.connector}",
                f"Channel {delivery.connector} rejected my credentials: {exc}. "
                "Messages for it wait until this is fixed.",
            )
            return
        except InDoubt as exc:
            await self.store.outbox.mark_failed(delivery.key, error=f"in doubt: {exc}")
            await self.notice(
                f"in-doubt:{delivery.key}",
                f"A message through {delivery.connector} may or may not have been delivered before "
                f"a crash; I did not send it again to avoid a duplicate. {exc}",
            )
            return
        except PermanentError as exc:
            await self.store.outbox.mark_failed(delivery.key, error=str(exc))
            await self.notice(
                f"delivery-failed:{delivery.key}",
                f"A message through {delivery.connector} cannot be delivered: {exc}",
            )
            return
        except Exception as exc:  # a connector bug: keep the row, retry later
            log.exception("delivery %s: unexpected error", delivery.key)
            await self.store.outbox.mark_retry(
                delivery.key, error=f"{type(exc).__name__}: {exc}", delay=self._backoff(delivery.attempts)
            )
            return
        async with self.store.db.transaction() as tx:
            await self.store.outbox.mark_sent(delivery.key, receipt, tx=tx)
            ref = receipt.get("prompt_ref") or receipt.get("message_id")
            if escalation_id is not None and ref:
                await Escalations.add_prompt_ref_in(
                    tx, connector=delivery.connector, ref=str(ref), escalation_id=escalation_id
                )
                # Editing the prompt later needs its address (chat id, Slack channel).
                tx.defer(
                    "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)",
                    (f"prompt:{delivery.connector}:{ref}", json.dumps(receipt, sort_keys=True)),
                )
