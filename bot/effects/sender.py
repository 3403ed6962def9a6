"""Delivers outbox rows through their connectors, after the transaction that wrote them.

Errors arrive already translated by the connector (bot.errors): transient ones are
retried with capped, jittered backoff (honouring retry_after from a 429) for as long as
the delivery policy allows (by age: bot/effects/delivery_policy.py); the owner is told
once when a delivery is late and once more if it is given up. Permanent ones fail the
row and tell the owner. A row is marked ``sending`` before the call, so a
crash mid-call is detected on restart and the connector is told the send is in doubt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from bot.channels.contract import Connector
from bot.delivery import Delivery
from bot.effects.delivery_policy import DeliveryPolicy, Verdict, human
from bot.errors import AuthFailed, InDoubt, PermanentError, TransientError
from bot.faults import fault
from bot.pipeline.dispatcher import Dispatcher
from bot.store import Escalations, KeyValue, Store

log = logging.getLogger("deputy.sender")

# Writes a notice to the owner inside the caller's transaction, so a failure and the
# owner's notice about it are one commit. ``skip`` names channels the notice must not
# use (the one that just failed).
NoticeIn = Callable[..., Awaitable[None]]

# A row addressed to the owner lives on thread "owner:<channel>" (bot/effects/owner_messages.py).
OWNER_THREAD = "owner:"
# A notice re-routed after the owner's own channel failed; its failure is only logged.
FALLBACK = "fallback:"


def _short(key: str) -> str:
    """A bounded stand-in for a key inside another key: notice keys never grow."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class Sender(Dispatcher[tuple[Delivery, str, "int | None"]]):
    def __init__(
        self,
        *,
        store: Store,
        connectors: Mapping[str, Connector],
        notice_in: NoticeIn,
        concurrency: int = 8,
        max_attempts: int | None = None,
        policy: DeliveryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        idle_poll_seconds: float = 0.25,
    ) -> None:
        """``max_attempts``: shorthand for a default policy that also counts tries."""
        super().__init__(concurrency=concurrency, idle_poll_seconds=idle_poll_seconds)
        self.store = store
        self.connectors = connectors
        self.notice_in = notice_in
        self.policy = policy or DeliveryPolicy(max_attempts=max_attempts)
        self.clock = clock  # wall time: the age of a delivery, when the next try is due
        # A desk's finishing commit, a notice, a hand-off: every new row wakes the claim
        # at once (the idle poll is only for rows written by another process).
        store.db.on_commit("outbox", self.wake)
        self._delivered: dict[str, dict[str, str]] = {}  # key -> receipt not yet recorded

    async def claim(self, *, limit: int, busy_threads: set[str]) -> list[tuple[Delivery, str, int | None]]:
        return await self.store.outbox.claim(limit=limit, busy_threads=busy_threads, now=self.clock())

    def thread_of(self, item: tuple[Delivery, str, int | None]) -> str:
        return item[1]

    async def work(self, item: tuple[Delivery, str, int | None]) -> None:
        delivery, thread, escalation_id = item
        await self._deliver(delivery, thread, escalation_id)

    def _backoff(self, attempts: int) -> float:
        return self.policy.delay(attempts)

    async def _fail(
        self,
        delivery: Delivery,
        thread: str,
        escalation_id: int | None,
        *,
        error: str,
        notice: str,
        kind: str,
        channel_at_fault: bool = True,
    ) -> None:
        """Fail the row and tell the owner in the same commit, never through the channel
        that failed and never about a notice: a failed row addressed to the owner is
        re-routed once to another channel (the console log at the end of the line), and a
        failed re-route is only logged. ``channel_at_fault`` is False for a send a crash
        left in doubt: the channel itself worked, so the owner hears on their usual one."""
        log.error("delivery %s through %s failed: %s", delivery.key, delivery.connector, error)
        async with self.store.db.transaction() as tx:
            await self.store.outbox.mark_failed_in(tx, delivery.key, error=error)
            if delivery.key.startswith(FALLBACK):
                return
            if thread.startswith(OWNER_THREAD):
                text = str(delivery.payload.get("text", ""))
                why = (
                    f"I could not reach you through {delivery.connector}"
                    if channel_at_fault
                    else f"A crash interrupted this message through {delivery.connector}; here it is again"
                )
                await self.notice_in(
                    tx,
                    key=f"{FALLBACK}{_short(delivery.key)}",
                    text=f"({why}: {error})\n\n{text}",
                    skip=(delivery.connector,) if channel_at_fault else (),
                    escalation_id=escalation_id,
                )
                return
            await self.notice_in(
                # A correspondent's row: its key is an event's, so this key stays bounded.
                tx,
                key=f"{kind}:{delivery.key}",
                text=notice,
                skip=(delivery.connector,) if channel_at_fault else (),
            )
        self.wake()

    async def _deliver(self, delivery: Delivery, thread: str, escalation_id: int | None) -> None:
        connector = self.connectors.get(delivery.connector)
        if connector is None:
            error = f"no enabled channel named {delivery.connector!r}"
            await self._fail(
                delivery,
                thread,
                escalation_id,
                error=error,
                kind="delivery-failed",
                notice=f"A message for channel {delivery.connector} cannot be delivered: {error}",
            )
            return
        try:
            receipt = dict(await connector.deliver(delivery))
            fault("after_250")
        except TransientError as exc:
            await self._transient(delivery, thread, escalation_id, exc)
            return
        except AuthFailed as exc:
            log.error("channel %s: authentication failed: %s", delivery.connector, exc)
            async with self.store.db.transaction() as tx:
                await self.store.outbox.mark_retry_in(tx, delivery.key, error=str(exc), delay=300.0)
                await self.notice_in(
                    tx,
                    key=f"auth-failed:{delivery.connector}",
                    text=f"Channel {delivery.connector} rejected my credentials: {exc}. "
                    "Messages for it wait until this is fixed.",
                    skip=(delivery.connector,),
                )
            self.wake()
            return
        except InDoubt as exc:
            await self._fail(
                delivery,
                thread,
                escalation_id,
                error=f"in doubt: {exc}",
                kind="in-doubt",
                channel_at_fault=False,
                notice=f"A message through {delivery.connector} may or may not have been delivered before "
                f"a crash; I did not send it again to avoid a duplicate. {exc}",
            )
            return
        except PermanentError as exc:
            await self._fail(
                delivery,
                thread,
                escalation_id,
                error=str(exc),
                kind="delivery-failed",
                notice=f"A message through {delivery.connector} cannot be delivered: {exc}",
            )
            return
        except Exception as exc:  # a connector bug: keep the row, retry later
            log.exception("delivery %s: unexpected error", delivery.key)
            await self.store.outbox.mark_retry(
                delivery.key, error=f"{type(exc).__name__}: {exc}", delay=self._backoff(delivery.attempts)
            )
            return
        self._delivered[delivery.key] = receipt  # until it is recorded (a full disk may delay that)
        await self._record_sent(delivery.key, receipt, escalation_id, connector=delivery.connector)

    async def _transient(
        self, delivery: Delivery, thread: str, escalation_id: int | None, exc: TransientError
    ) -> None:
        now = self.clock()
        age = max(0.0, now - (delivery.first_tried_at or now))
        verdict = self.policy.verdict(age=age, attempts=delivery.attempts)
        if verdict is Verdict.GIVE_UP:
            await self._fail(
                delivery,
                thread,
                escalation_id,
                error=str(exc),
                kind="delivery-failed",
                notice=f"I gave up delivering a message through {delivery.connector} after "
                f"{delivery.attempts} attempts in {human(age)}: {exc}",
            )
            return
        delay = self.policy.delay(delivery.attempts, retry_after=exc.retry_after)
        log.warning("delivery %s: transient error, retry in %.1fs: %s", delivery.key, delay, exc)
        # A notice about a late notice would only add to the queue that is late.
        told = thread.startswith(OWNER_THREAD) or delivery.key.startswith(FALLBACK)
        if verdict is Verdict.RETRY or told:
            await self.store.outbox.mark_retry(delivery.key, error=str(exc), delay=delay, now=now)
            return
        async with self.store.db.transaction() as tx:
            await self.store.outbox.mark_retry_in(tx, delivery.key, error=str(exc), delay=delay, now=now)
            await self.notice_in(
                tx,  # the row's own key: told once, whatever the retries and restarts
                key=f"delivery-late:{delivery.key}",
                text=f"A message through {delivery.connector} is late: for {human(age)} the server "
                f"has answered: {exc}. I keep trying until it is {human(self.policy.give_up_after)} "
                "old and will tell you if I give up.",
                skip=(delivery.connector,),
            )

    async def release(self, item: tuple[Delivery, str, int | None], error: str) -> None:
        """A delivery whose outcome could not be recorded: a known receipt is recorded
        now; otherwise the row is pending again and in doubt (the connector checks before
        sending it again: the call may have gone out)."""
        delivery, _, escalation_id = item
        receipt = self._delivered.get(delivery.key)
        if receipt is not None:
            await self._record_sent(delivery.key, receipt, escalation_id, connector=delivery.connector)
        else:
            await self.store.outbox.release(delivery.key, error=error)

    async def _record_sent(
        self, key: str, receipt: dict[str, str], escalation_id: int | None, *, connector: str
    ) -> None:
        async with self.store.db.transaction() as tx:
            await self.store.outbox.mark_sent(key, receipt, tx=tx)
            ref = receipt.get("prompt_ref") or receipt.get("message_id")
            if escalation_id is not None and ref:
                await Escalations.add_prompt_ref_in(
                    tx, connector=connector, ref=str(ref), escalation_id=escalation_id
                )
                # Editing the prompt later needs its address (chat id, Slack channel).
                await KeyValue.set_in(tx, f"prompt:{connector}:{ref}", json.dumps(receipt, sort_keys=True))
        self._delivered.pop(key, None)
