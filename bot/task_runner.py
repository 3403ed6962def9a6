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

import json
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.actions import Action, Decision, Escalate, Ignore, Notify, Reply
from bot.config import Settings
from bot.delivery import message_id_for
from bot.events import Event
from bot.executor import MAIL_TYPES, Executor
from bot.policy import GateContext, PolicyGate, addresses_in, money_in
from bot.router import Answer, Instruction, Judge, Route, Scheduled
from bot.rules.model import Limits, Money, Rule, Rulebook, RuleHeader
from bot.store import AuditEntry, Claimed, Store, Timers, thread_key
from bot.store.tasks import Tasks
from bot.tasks import (
    KINDS,
    MODEL_NEEDED,
    Contact,
    QuotesSpec,
    RecurringSpec,
    Spec,
    Task,
    TaskError,
    build_spec,
    form_of,
    is_task_text,
    next_occurrence,
    parse,
    title_of,
)

if TYPE_CHECKING:
    from bot.agent.llm_client import LLMClient

log = logging.getLogger("deputy.tasks")
PLAN_PROMPT = (
    "You turn the owner's task into exactly one structured task by calling make_task. "
    "Kinds: 'quotes' (ask recipients for a price, accept the cheapest within budget: needs to, "
    "request, budget like '300 EUR'; optional subject, deadline and follow_up like '7d', '3d', note) "
    "and 'recurring' (send text to recipients on a schedule: needs to, text, every like "
    "'monday 09:00' or 'day 09:00'; optional subject, note). Use only addresses the owner wrote. "
    "Write the request or text as the message the recipients will read. If the task fits "
    "neither kind, do not call the tool; say why in one sentence."
)
_FIELD = {"type": "string"}
PLAN_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "make_task",
        "description": "The structured form of the owner's task.",
        "parameters": {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "enum": list(("quotes", "recurring"))},
                "to": {"type": "array", "items": {"type": "string"}},
                **{k: _FIELD for k in ("subject", "request", "budget", "deadline", "follow_up")},
                **{k: _FIELD for k in ("text", "every", "note")},
            },
            "required": ["kind", "to"],
            "additionalProperties": False,
        },
    },
}
DAY = 86400.0
_ACCEPT_TAG = re.compile(r"^task:(\d+):accept:(\d+)$")


class TaskRunner:
    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        executor: Executor,
        gate: PolicyGate | None = None,
        clock: Callable[[], float] = time.time,
        llm: LLMClient | None = None,
    ) -> None:
        self.llm = llm  # only to turn free-text tasks into structured ones
        self.store = store
        self.settings = settings
        self.executor = executor
        self.gate = gate or PolicyGate()
        self.clock = clock

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

    async def _contact_for(self, event: Event) -> Contact | None:
        contact = await self.store.tasks.by_thread(event.channel, event.thread)
        if contact is None:
            for ref in (event.refs.get("in_reply_to", ""), *event.refs.get("references", "").split()):
                if ref and (contact := await self.store.tasks.by_thread(event.channel, ref)) is not None:
                    break
        if contact is not None and event.sender.lower() != contact.address:
            return None  # someone else wrote into the thread: not the task's counterpart
        return contact

    # ----- creating a task ----------------------------------------------------------------
    async def _create(self, claimed: Claimed, rulebook: Rulebook, text: str) -> None:
        event = claimed.event
        assert event.sender_verified_owner, "the router lets only the verified owner give instructions"
        actions: list[str] = []
        try:
            kind, spec, free = parse(text)
            if spec is None:
                if self.llm is None:
                    raise TaskError(MODEL_NEEDED)
                kind, spec = await self._plan(free)
            channel = self._mail_channel(spec.channel)
        except TaskError as exc:
            async with self.store.db.transaction() as tx:
                await self._tell(tx, rulebook, event, f"I did not take this task: {exc}", key="refused")
                await self._finish_in(tx, claimed, "refused", (f"task refused: {exc}",), ["told the owner"])
            return
        async with self.store.db.transaction() as tx:
            task_id, created = await Tasks.create_in(
                tx, key=event.id, kind=kind, title=title_of(kind, spec), spec=spec, created_by=event.channel
            )
            if created:
                task = await self.store.tasks.get(task_id)
                assert task is not None
                if isinstance(spec, QuotesSpec):
                    actions += await self._start_quotes(tx, rulebook, task, spec, channel)
                    summary = f"I sent the request to {', '.join(spec.to)} and will report back."
                else:
                    assert isinstance(spec, RecurringSpec)
                    actions += await self._schedule_next(tx, rulebook, task, spec, after=self.clock())
                    summary = actions[-1]
                text = f"Task #{task_id} taken: {task.title}. {summary}\n\n{form_of(kind, spec)}"
                await self._tell(tx, rulebook, event, text, key="taken")
            await self._finish_in(tx, claimed, "task", (f"task #{task_id} from the owner",), actions)

    async def sync_standing(self, rules_dir: Path, rulebook: Rulebook) -> list[int]:
        """Standing tasks from ``<rules_dir>/tasks.toml`` (``[[task]]`` tables with a unique
        ``name``), created once each: a restart or an unchanged file adds nothing."""
        import tomllib

        from bot.errors import ConfigError
        from bot.tasks import build_spec

        path = rules_dir / "tasks.toml"
        if not path.is_file():
            return []
        try:
            entries = tomllib.loads(path.read_text(encoding="utf-8")).get("task", [])
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        created_ids: list[int] = []
        for i, entry in enumerate(entries):
            entry = dict(entry)
            name, kind = str(entry.pop("name", "")), str(entry.pop("kind", "recurring"))
            if not name or kind != "recurring":
                raise ConfigError(f"{path}: task {i + 1}: needs a name and kind = 'recurring'")
            to = entry.get("to", [])
            entry["to"] = ", ".join(to) if isinstance(to, list) else str(to)
            try:
                spec = build_spec(kind, {k: str(v) for k, v in entry.items()})
                self._mail_channel(spec.channel)
            except TaskError as exc:
                raise ConfigError(f"{path}: task {name!r}: {exc}") from None
            async with self.store.db.transaction() as tx:
                task_id, created = await Tasks.create_in(
                    tx,
                    key=f"standing:{name}",
                    kind=kind,
                    title=title_of(kind, spec),
                    spec=spec,
                    created_by=str(path),
                )
                if created:
                    task = await self.store.tasks.get(task_id)
                    assert task is not None and isinstance(spec, RecurringSpec)
                    await self._schedule_next(tx, rulebook, task, spec, after=self.clock())
                    created_ids.append(task_id)
        return created_ids

    async def _plan(self, free: str) -> tuple[str, Spec]:
        """A free-text task -> one structured task, by the model. The model only fills in
        the form: the result is validated like a typed one, and it may name no recipient
        the owner did not write (the owner's words are the only source of addresses)."""
        from bot.agent.llm_client import LLMUnavailable

        assert self.llm is not None
        messages = [
            {"role": "system", "content": PLAN_PROMPT},
            {"role": "user", "content": free},
        ]
        try:
            result = await self.llm.chat(messages, tools=[PLAN_TOOL], tool_choice="auto")
        except LLMUnavailable as exc:
            raise TaskError(
                f"the model is unavailable ({exc}); write the task in a structured form"
            ) from None
        call = next((c for c in result.tool_calls if c.name == "make_task"), None)
        if call is None:
            why = (result.content or "").strip()[:300]
            raise TaskError(f"the model could not turn this into a quotes or recurring task. {why}".strip())
        try:
            args = json.loads(call.arguments)
            kind = str(args.pop("kind"))
        except (ValueError, KeyError, AttributeError):
            raise TaskError("the model's plan was malformed") from None
        if kind not in KINDS:
            raise TaskError(f"the model proposed a task of kind {kind!r}, which I cannot carry out")
        if isinstance(args.get("to"), list):
            args["to"] = ", ".join(str(a) for a in args["to"])
        spec = build_spec(kind, {k: str(v) for k, v in args.items() if v not in (None, "")})
        strangers = sorted(set(spec.to) - addresses_in(free))
        if strangers:
            raise TaskError(f"the model proposed {strangers[0]}, who is not named in your task")
        return kind, spec

    def _mail_channel(self, wanted: str) -> str:
        types = self.executor.channel_types
        if wanted:
            if types.get(wanted) not in MAIL_TYPES:
                raise TaskError(f"channel {wanted!r} is not a configured mail channel")
            return wanted
        for name, kind in types.items():
            if kind in MAIL_TYPES:
                return name
        raise TaskError("no mail channel is configured, so I cannot write to anyone")

    async def _start_quotes(
        self, tx: aiosqlite.Connection, rulebook: Rulebook, task: Task, spec: QuotesSpec, channel: str
    ) -> list[str]:
        done: list[str] = []
        for n, address in enumerate(spec.to):
            prefix = f"task:{task.id}:request:{n}"
            mid = message_id_for(f"{prefix}:0:reply", domain=self.settings.deputy.message_id_domain)
            await Tasks.add_contact_in(
                tx, task_id=task.id, n=n, address=address, channel=channel, thread=mid, status="requested"
            )
            opening = self._opening(
                task, channel=channel, address=address, thread=mid, subject=spec.subject, n=n
            )
            done += await self._act(
                tx, rulebook, task, opening, [Reply(text=spec.request)], key_prefix=prefix
            )
        now = self.clock()
        for what, hours in (("follow_up", spec.follow_up_hours), ("deadline", spec.deadline_hours)):
            await Timers.add_in(
                tx,
                key=f"task:{task.id}:{what}",
                due_at=now + hours * 3600,
                kind=f"task_{what}",
                payload={"task_id": str(task.id), "channel": "scheduler", "thread": f"task-{task.id}"},
            )
        await Tasks.move_in(tx, task.id, "waiting", waiting_on=spec.to)
        return done

    async def _schedule_next(
        self, tx: aiosqlite.Connection, rulebook: Rulebook, task: Task, spec: RecurringSpec, *, after: float
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
    async def _reply(self, claimed: Claimed, rulebook: Rulebook, contact: Contact) -> None:
        event = claimed.event
        actions: list[str] = []
        async with self.store.db.transaction() as tx:
            task = await self.store.tasks.get(contact.task_id)
            assert task is not None
            spec = task.spec
            offer, currency = _price(event.text, spec.currency if isinstance(spec, QuotesSpec) else "")
            status = (
                "replied" if contact.status in ("requested", "followed_up", "replied") else contact.status
            )
            await Tasks.update_contact_in(
                tx,
                task.id,
                contact.n,
                status=status,
                offer=offer,
                currency=currency if offer is not None else None,
                reply_event=event.to_json(),
            )
            price = f"{offer:g} {currency}" if offer is not None else "no price I could read"
            actions.append(f"task #{task.id}: reply from {contact.address} ({price})")
            task = await self.store.tasks.get(task.id)
            assert task is not None
            if task.state == "waiting" and isinstance(spec, QuotesSpec):
                pending = tuple(c.address for c in task.contacts if c.status in ("requested", "followed_up"))
                if pending:
                    await Tasks.move_in(tx, task.id, "waiting", waiting_on=pending)
                else:
                    actions += await self._conclude(tx, rulebook, task, spec, key=event.id)
            elif task.state == "needs_owner":
                await self._tell(
                    tx,
                    rulebook,
                    event,
                    f"Task #{task.id}: {contact.address} wrote again ({price}) while I wait for your "
                    f"answer to #{task.escalation_id}.",
                    key="late-reply",
                )
            await self._finish_in(tx, claimed, "task", (f"reply in task #{task.id}",), actions)

    async def _conclude(
        self, tx: aiosqlite.Connection, rulebook: Rulebook, task: Task, spec: QuotesSpec, *, key: str
    ) -> list[str]:
        """All answered or the deadline passed: accept the cheapest within budget, or ask."""
        offers = sorted(
            (c for c in task.contacts if c.offer is not None and c.currency == spec.currency),
            key=lambda c: (c.offer, c.n),
        )
        fitting = [c for c in offers if c.offer is not None and c.offer <= spec.budget_max]
        silent = [c.address for c in task.contacts if c.reply_event == ""]
        await Timers.cancel_in(tx, key_prefix=f"task:{task.id}:follow_up")
        await Timers.cancel_in(tx, key_prefix=f"task:{task.id}:deadline")
        if fitting:
            winner = fitting[0]
            done = await self._close_deal(tx, rulebook, task, spec, winner, key=key, owner_ok=False)
            result = f"accepted {winner.address} at {winner.offer:g} {spec.currency}"
            lines = [
                f"Task #{task.id} done: {task.title}.",
                f"I accepted {winner.address}: {winner.offer:g} {spec.currency}.",
            ]
            lines += [
                f"Declined {c.address}: {_offer_text(c)}."
                for c in task.contacts
                if c is not winner and c.reply_event
            ]
            lines += [f"No answer from {a}." for a in silent]
            await Tasks.move_in(tx, task.id, "done", waiting_on=(), result=result)
            await self._tell(tx, rulebook, None, "\n".join(lines), key=f"{key}:report", task=task)
            return [*done, f"task #{task.id}: {result}"]
        if not offers:
            await Tasks.move_in(tx, task.id, "failed", waiting_on=(), result="no usable quote")
            text = f"Task #{task.id} failed: {task.title}. No usable quote arrived" + (
                f"; no answer from {', '.join(silent)}." if silent else "."
            )
            await self._tell(tx, rulebook, None, text, key=f"{key}:report", task=task)
            return [f"task #{task.id}: failed, no usable quote"]
        labels = (*tuple(f"Accept {c.address} at {c.offer:g} {spec.currency}" for c in offers), "Decline all")
        groups = (
            *tuple((Ignore(reason=f"task:{task.id}:accept:{c.n}"),) for c in offers),
            (Ignore(reason=f"task:{task.id}:decline"),),
        )
        question = (
            f"Task #{task.id} ({task.title}): every quote is over the budget of {spec.budget_max:g} "
            f"{spec.currency}: "
            + "; ".join(f"{c.address} {c.offer:g}" for c in offers)
            + (f"; no answer from {', '.join(silent)}" if silent else "")
            + ". Which one should I accept?"
        )
        ask = Escalate(question=question, reason="quotes over budget", options=labels, option_actions=groups)
        subject = Event(
            id=f"task:{task.id}:ask",
            channel="scheduler",
            kind="notice",
            thread=f"task-{task.id}",
            sender="",
            received_at=datetime.now(UTC),
            subject=task.title,
        )
        applied = await self.executor.apply_in(
            tx,
            event=subject,
            actions=(ask,),
            key_prefix=f"{key}:task-ask",
            rule=f"task:{task.id}",
            owner=rulebook.owner,
            autonomous=False,
        )
        esc_id = applied.escalation_ids[0] if applied.escalation_ids else None
        await Tasks.move_in(tx, task.id, "needs_owner", waiting_on=(), escalation_id=esc_id)
        return list(applied.descriptions)

    async def _close_deal(
        self,
        tx: aiosqlite.Connection,
        rulebook: Rulebook,
        task: Task,
        spec: QuotesSpec,
        winner: Contact | None,
        *,
        key: str,
        owner_ok: bool,
    ) -> list[str]:
        done: list[str] = []
        for c in task.contacts:
            if not c.reply_event:
                continue
            their = Event.from_json(c.reply_event)
            if winner is not None and c.n == winner.n:
                text = (
                    f"Thank you for your quote. We accept your offer of {c.offer:g} {spec.currency} "
                    "and look forward to working with you."
                )
                status = "accepted"
            else:
                text = "Thank you for your quote. We have decided to go with another offer this time."
                status = "declined"
            done += await self._act(
                tx,
                rulebook,
                task,
                their,
                [Reply(text=text)],
                key_prefix=f"{key}:task:{c.n}",
                owner_ok=owner_ok,
            )
            await Tasks.update_contact_in(tx, task.id, c.n, status=status)
        return done

    # ----- the owner's answer to a task's question ---------------------------------------------
    async def _answer(self, claimed: Claimed, rulebook: Rulebook, route: Answer, task: Task) -> None:
        event = claimed.event
        esc = route.escalation
        index = route.option
        if index is None:
            m = re.match(r"^\s*#?(\d+)[.)]?(?:\s|$)", route.text)
            if m:
                index = int(m[1]) - 1
            elif re.match(r"(?i)^\s*(none|no|decline|nothing)\b", route.text):
                index = len(esc.options) - 1
        async with self.store.db.transaction() as tx:
            if index is None or not 0 <= index < len(esc.options):
                text = f"Task #{task.id}: please answer #{esc.id} with a number from 1 to {len(esc.options)}."
                await self._tell(tx, rulebook, event, text, key="unclear")
                await self._finish_in(tx, claimed, "owner", ("unclear answer to a task",), ["told the owner"])
                return
            label = esc.options[index]
            won = await self.store.escalations.close_in(
                tx, esc.id, state="answered", answer=label, via=route.via
            )
            if not won:
                await self._tell(tx, rulebook, event, f"Question #{esc.id} was already closed.", key="late")
                await self._finish_in(tx, claimed, "late answer", (f"#{esc.id} already closed",), [])
                return
            spec = task.spec
            assert isinstance(spec, QuotesSpec)
            tag = next((a.reason for a in esc.option_actions[index] if isinstance(a, Ignore)), "")
            m = _ACCEPT_TAG.match(tag)
            winner = next((c for c in task.contacts if m and c.n == int(m[2])), None)
            done = await self._close_deal(tx, rulebook, task, spec, winner, key=event.id, owner_ok=True)
            result = (
                f"accepted {winner.address} at {winner.offer:g} {spec.currency} (your choice)"
                if winner is not None
                else "declined all quotes (your choice)"
            )
            await Tasks.move_in(tx, task.id, "done", result=result)
            await self._tell(tx, rulebook, event, f"Task #{task.id} done: {result}.", key="done")
            await self._finish_in(
                tx, claimed, "answered", (f"owner answered #{esc.id}: {label}",), [*done, result]
            )

    async def _question_expired(self, claimed: Claimed, rulebook: Rulebook, task: Task) -> None:
        """The owner did not choose before the question's deadline: accept nothing."""
        esc_id = task.escalation_id
        assert esc_id is not None
        actions: list[str] = []
        async with self.store.db.transaction() as tx:
            won = await self.store.escalations.close_in(
                tx, esc_id, state="defaulted", answer="no choice: nothing accepted", via="deadline"
            )
            if won and await Tasks.move_in(
                tx, task.id, "failed", result=f"no answer to #{esc_id} in time; nothing accepted"
            ):
                text = (
                    f"Task #{task.id} ({task.title}): no answer to #{esc_id} before its deadline, "
                    "so I accepted no quote. The offers stay unanswered."
                )
                await self._tell(tx, rulebook, None, text, key=f"{claimed.event.id}:expired", task=task)
                actions.append(f"task #{task.id}: failed, the owner did not choose in time")
            await self._finish_in(tx, claimed, "task", (f"deadline of #{esc_id}",), actions)

    # ----- timers ----------------------------------------------------------------------------
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

    async def _occurrence(
        self, tx: aiosqlite.Connection, rulebook: Rulebook, task: Task, spec: RecurringSpec, event: Event
    ) -> list[str]:
        period = event.refs.get("period", "")
        channel = self._mail_channel(spec.channel)
        done: list[str] = []
        for n, address in enumerate(spec.to):
            prefix = f"task:{task.id}:occurrence:{period}:{n}"
            mid = message_id_for(f"{prefix}:0:reply", domain=self.settings.deputy.message_id_domain)
            opening = self._opening(
                task, channel=channel, address=address, thread=mid, subject=spec.subject, n=n
            )
            done += await self._act(tx, rulebook, task, opening, [Reply(text=spec.text)], key_prefix=prefix)
        await tx.execute(
            "UPDATE tasks SET result=?, updated_at=? WHERE id=?", (f"last run {period}", time.time(), task.id)
        )
        due = float(event.refs.get("due", "0") or 0)
        done += await self._schedule_next(tx, rulebook, task, spec, after=due)
        return done

    # ----- the gate and the executor ------------------------------------------------------------
    def _opening(self, task: Task, *, channel: str, address: str, thread: str, subject: str, n: int) -> Event:
        """A conversation Deputy opens for a task: the recipient as counterpart, no parent."""
        return Event(
            id=f"task:{task.id}:{n}",
            channel=channel,
            kind="message",
            thread=thread,
            sender=address,
            received_at=datetime.now(UTC),
            recipients=tuple(self.settings.deputy.addresses[:1]),
            subject=subject,
            refs={"channel_type": self.executor.channel_types.get(channel, ""), "task_opening": "1"},
        )

    def rule_for(self, task: Task) -> Rule:
        spec = task.spec
        amount = Money(max=spec.budget_max, currency=spec.currency) if isinstance(spec, QuotesSpec) else None
        header = RuleHeader(
            name=f"task:{task.id}",
            description=f"task #{task.id}: {task.title}",
            may=["reply"],
            limits=Limits(amount=amount, replies_per_thread=4),
        )
        owner_words = spec.request if isinstance(spec, QuotesSpec) else spec.text
        return Rule(
            name=f"task:{task.id}",
            path=Path(f"<task {task.id}>"),
            header=header,
            instructions="\n".join((owner_words, spec.note)),
        )

    async def _act(
        self,
        tx: aiosqlite.Connection,
        rulebook: Rulebook,
        task: Task,
        event: Event,
        actions: list[Action],
        *,
        key_prefix: str,
        owner_ok: bool = False,
    ) -> list[str]:
        rule = self.rule_for(task)
        now = time.time()
        thread = thread_key(event)
        ctx = GateContext(
            event=event,
            rule=rule,
            participants=frozenset(task.spec.to),  # the task grants exactly its recipients
            replies_in_thread_24h=await self.store.outbox.autonomous_replies(thread, since=now - DAY),
            sends_to_correspondent_24h=await self.store.outbox.sends_to(event.sender, since=now - DAY),
            replies_per_thread_cap=self.settings.limits.replies_per_thread,
            sends_per_correspondent_cap=self.settings.limits.sends_per_correspondent,
            owner_addresses=frozenset(rulebook.owner.emails),
            trusted_text="\n".join((rule.instructions, *(await self.store.outbox.sent_texts(thread)))),
            owner_authorized=owner_ok,
        )
        decision = Decision(actions=tuple(actions), rule=rule.name)
        result = self.gate.check(decision, ctx)
        allowed: list[Action] = list(result.allowed)
        escalation = result.escalation(decision)
        if escalation is not None:
            allowed.append(escalation)
        if not owner_ok and await self.store.kv.get("paused") == "1":
            outgoing = tuple(a for a in allowed if isinstance(a, Reply))
            if outgoing:
                allowed = [a for a in allowed if not isinstance(a, Reply)]
                preview = "; ".join(a.text[:120] for a in outgoing)
                allowed.append(
                    Escalate(
                        question=f"Autonomy is paused. For task #{task.id} I would write to {event.sender}: "
                        f"{preview}. Go ahead?",
                        reason="paused",
                        options=("Yes, do it", "No"),
                        option_actions=(outgoing, (Ignore(reason="owner: no"),)),
                        default_option=1,
                        blocked_by=rule.name,
                    )
                )
        applied = await self.executor.apply_in(
            tx,
            event=event,
            actions=tuple(allowed),
            key_prefix=key_prefix,
            rule=rule.name,
            owner=rulebook.owner,
            autonomous=not owner_ok,
        )
        return [*applied.descriptions, *(f"blocked {type(a).__name__}: {why}" for a, why in result.blocked)]

    async def _tell(
        self,
        tx: aiosqlite.Connection,
        rulebook: Rulebook,
        event: Event | None,
        text: str,
        *,
        key: str,
        task: Task | None = None,
    ) -> None:
        """Tell the owner: on the channel they wrote from, or their preferred one."""
        channel = (
            event.channel if event is not None and event.channel in self.executor.channel_types else None
        )
        if event is not None and event.kind not in ("owner_message", "owner_answer"):
            channel = None
        await self.executor.apply_in(
            tx,
            event=event or _task_event(task),
            actions=(Notify(text=text, channel=channel or ""),),
            key_prefix=f"{(event.id if event else 'task')}:{key}",
            rule="",
            owner=rulebook.owner,
            autonomous=False,
        )

    async def _finish_in(
        self,
        tx: aiosqlite.Connection,
        claimed: Claimed,
        outcome: str,
        reasons: tuple[str, ...],
        actions: list[str],
    ) -> None:
        event = claimed.event
        await self.store.audit.add_in(
            tx,
            AuditEntry(
                event_id=event.id,
                channel=event.channel,
                sender=event.sender,
                subject=event.subject or (reasons[0] if reasons else ""),
                outcome=outcome,
                reasons=reasons,
                actions=tuple(actions),
            ),
        )
        await self.store.inbox.finish_in(tx, claimed.seq)


def _price(text: str, currency: str) -> tuple[float | None, str]:
    """The quoted price: the first amount in the task's currency, else the first with any."""
    found = [(amount, cur) for amount, cur in money_in(text) if cur]
    for amount, cur in found:
        if cur == currency:
            return amount, cur
    return found[0] if found else (None, "")


def _offer_text(c: Contact) -> str:
    return f"{c.offer:g} {c.currency}" if c.offer is not None else "no price"


def _task_event(task: Task | None) -> Event:
    tid = task.id if task else 0
    return Event(
        id=f"task:{tid}:report",
        channel="scheduler",
        kind="notice",
        thread=f"task-{tid}",
        sender="",
        received_at=datetime.now(UTC),
        subject=task.title if task else "task",
    )


def _tz(rulebook: Rulebook):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(rulebook.owner.timezone)
