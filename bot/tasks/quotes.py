"""The quotes task: ask for prices, follow up on the slow, accept the cheapest within
budget, decline the others, or ask the owner when every offer is over budget or a
reply that could be cheaper is unclear.

A reply is read from its facts (``bot.facts``, computed by the router for the event):
what the supplier offers in their own words, never a price they turn down or one in
the quoted history. ``bot.tasks.quote`` decides whether it is a quote Deputy may accept
on its own."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.actions import Commitment, Ignore, Reply
from bot.delivery import message_id_for
from bot.effects import asking
from bot.events import Event
from bot.facts import Facts
from bot.facts.extract import extract
from bot.first_char import guarded
from bot.pipeline.router import Answer
from bot.rules.model import Rulebook
from bot.store import Claimed, Timers, Tx
from bot.store.tasks import Tasks
from bot.tasks.model import (
    Contact,
    QuotesSpec,
    Task,
)
from bot.tasks.quote import Quote, read_quote
from bot.tasks.tools import TaskTools, _offer_text, _task_event, _tz  # noqa: F401

_ACCEPT_TAG = guarded(r"^task:(\d+):accept:(\d+)$")


class QuotesFlow:
    def __init__(self, tools: TaskTools) -> None:
        self.tools = tools
        self.store = tools.store
        self.settings = tools.settings
        self.executor = tools.executor
        self.clock = tools.clock

    async def start(
        self, tx: Tx, rulebook: Rulebook, task: Task, spec: QuotesSpec, channel: str
    ) -> list[str]:
        done: list[str] = []
        for n, address in enumerate(spec.to):
            prefix = f"task:{task.id}:request:{n}"
            mid = message_id_for(f"{prefix}:0:reply", domain=self.settings.deputy.message_id_domain)
            await Tasks.add_contact_in(
                tx, task_id=task.id, n=n, address=address, channel=channel, thread=mid, status="requested"
            )
            opening = self.tools.opening(
                task, channel=channel, address=address, thread=mid, subject=spec.subject, n=n
            )
            done += await self.tools.act(
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

    async def reply(self, claimed: Claimed, rulebook: Rulebook, contact: Contact, facts: Facts) -> None:
        """A supplier answered: their quote is what ``facts`` (the router's reading of
        their own words) says they offer; an unclear one is kept for the owner."""
        event = claimed.event
        actions: list[str] = []
        async with self.store.db.transaction() as tx:
            task = await self.store.tasks.get(contact.task_id)
            assert task is not None
            spec = task.spec
            quote = read_quote(facts, spec) if isinstance(spec, QuotesSpec) else Quote()
            answered = contact.status in ("requested", "followed_up", "replied", "unclear")
            status = ("unclear" if quote.unclear else "replied") if answered else contact.status
            currency = spec.currency if isinstance(spec, QuotesSpec) else ""
            await Tasks.update_contact_in(
                tx,
                task.id,
                contact.n,
                status=status,
                offer=quote.price if quote.clear else None,
                currency=currency if quote.clear else None,
                reply_event=event.to_json(),
            )
            if quote.clear:
                price = f"{quote.price:g} {currency}"
            else:
                price = f"unclear: {quote.unclear}" if quote.unclear else "no price I could read"
            actions.append(f"task #{task.id}: reply from {contact.address} ({price})")
            task = await self.store.tasks.get(task.id)
            assert task is not None
            if task.state == "waiting" and isinstance(spec, QuotesSpec):
                pending = tuple(c.address for c in task.contacts if c.status in ("requested", "followed_up"))
                if pending:
                    await Tasks.move_in(tx, task.id, "waiting", waiting_on=pending)
                else:
                    actions += await self.conclude(tx, rulebook, task, spec, key=event.id)
            elif task.state == "paused":
                actions.append(f"task #{task.id} is paused: the reply is read when it resumes")
            elif task.state == "needs_owner":
                await self.tools.tell(
                    tx,
                    rulebook,
                    event,
                    f"Task #{task.id}: {contact.address} wrote again ({price}) while I wait for your "
                    f"answer to #{task.escalation_id}.",
                    key="late-reply",
                )
            await self.tools.finish_in(tx, claimed, "task", (f"reply in task #{task.id}",), actions)

    async def conclude(
        self, tx: Tx, rulebook: Rulebook, task: Task, spec: QuotesSpec, *, key: str
    ) -> list[str]:
        """All answered or the deadline passed: accept the cheapest clear quote within
        budget, unless an unclear reply could be cheaper still; otherwise ask the owner."""
        offers = sorted(
            (
                c
                for c in task.contacts
                if c.status == "replied" and c.offer is not None and c.currency == spec.currency
            ),
            key=lambda c: (c.offer, c.n),
        )
        unclear = [(c, _reread(c, spec)) for c in task.contacts if c.status == "unclear"]
        fitting = [c for c in offers if c.offer is not None and c.offer <= spec.budget_max]
        silent = [c.address for c in task.contacts if c.reply_event == ""]
        await Timers.cancel_in(tx, key_prefix=f"task:{task.id}:follow_up")
        await Timers.cancel_in(tx, key_prefix=f"task:{task.id}:deadline")
        best = fitting[0].offer if fitting else None
        # An unclear quote that could undercut the best clear one (or cannot be compared)
        # is the owner's to weigh: Deputy does not guess what "240-290" or "plus VAT" costs.
        doubts = [(c, q) for c, q in unclear if q.floor is None or best is None or q.floor < best]
        if fitting and not doubts:
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
            await self.tools.tell(tx, rulebook, None, "\n".join(lines), key=f"{key}:report", task=task)
            return [*done, f"task #{task.id}: {result}"]
        if not offers and not unclear:
            await Tasks.move_in(tx, task.id, "failed", waiting_on=(), result="no usable quote")
            text = f"Task #{task.id} failed: {task.title}. No usable quote arrived" + (
                f"; no answer from {', '.join(silent)}." if silent else "."
            )
            await self.tools.tell(tx, rulebook, None, text, key=f"{key}:report", task=task)
            return [f"task #{task.id}: failed, no usable quote"]
        labels = (*tuple(f"Accept {c.address} at {c.offer:g} {spec.currency}" for c in offers), "Decline all")
        groups = (
            *tuple((Ignore(reason=f"task:{task.id}:accept:{c.n}"),) for c in offers),
            (Ignore(reason=f"task:{task.id}:decline"),),
        )
        parts = [f"{c.address} {c.offer:g}" for c in offers]
        for c, q in unclear:
            parts.append(f"{c.address} unclear, {q.unclear}" + (f' ("{q.words}")' if q.words else ""))
        why = (
            "some quotes are unclear, so I accepted none on my own"
            if doubts
            else f"every quote is over the budget of {spec.budget_max:g} {spec.currency}"
        )
        question = (
            f"Task #{task.id} ({task.title}): {why} (budget {spec.budget_max:g} {spec.currency}"
            + (", VAT excluded" if spec.budget_vat == "net" else ", VAT included")
            + "): "
            + "; ".join(parts)
            + (f"; no answer from {', '.join(silent)}" if silent else "")
            + ". Which one should I accept?"
        )
        reason = "unclear quotes" if doubts else "quotes over budget"
        ask = asking.ask(question, reason=reason, options=labels, option_actions=groups)
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
        tx: Tx,
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
                # The acceptance leaves as a typed field: the gate checks it against the budget.
                commits: tuple[Commitment, ...] = (
                    Commitment(kind="accept", amount=c.offer, currency=spec.currency.upper()),
                )
            else:
                text = "Thank you for your quote. We have decided to go with another offer this time."
                status = "declined"
                commits = ()
            done += await self.tools.act(
                tx,
                rulebook,
                task,
                their,
                [Reply(text=text, commits=commits)],
                key_prefix=f"{key}:task:{c.n}",
                owner_ok=owner_ok,
            )
            await Tasks.update_contact_in(tx, task.id, c.n, status=status)
        return done

    # ----- the owner's answer to a task's question ---------------------------------------------
    async def answer(self, claimed: Claimed, rulebook: Rulebook, route: Answer, task: Task) -> None:
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
            if task.state == "paused":  # nothing leaves for a paused task: the question waits
                text = (
                    f"Task #{task.id} is paused, so question #{esc.id} waits: resume it "
                    f"('resume task {task.id}') and answer again."
                )
                await self.tools.tell(tx, rulebook, event, text, key="paused")
                await self.tools.finish_in(
                    tx, claimed, "owner", (f"answer to #{esc.id} while task #{task.id} is paused",), [text]
                )
                return
            if index is None or not 0 <= index < len(esc.options):
                text = f"Task #{task.id}: please answer #{esc.id} with a number from 1 to {len(esc.options)}."
                await self.tools.tell(tx, rulebook, event, text, key="unclear")
                await self.tools.finish_in(
                    tx, claimed, "owner", ("unclear answer to a task",), ["told the owner"]
                )
                return
            label = esc.options[index]
            won = await self.store.escalations.close_in(
                tx, esc.id, state="answered", answer=label, via=route.via
            )
            if not won:
                await self.tools.tell(
                    tx, rulebook, event, f"Question #{esc.id} was already closed.", key="late"
                )
                await self.tools.finish_in(tx, claimed, "late answer", (f"#{esc.id} already closed",), [])
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
            await self.tools.tell(tx, rulebook, event, f"Task #{task.id} done: {result}.", key="done")
            await self.tools.finish_in(
                tx, claimed, "answered", (f"owner answered #{esc.id}: {label}",), [*done, result]
            )

    async def question_expired(self, claimed: Claimed, rulebook: Rulebook, task: Task) -> None:
        """The owner did not choose before the question's deadline: accept nothing."""
        esc_id = task.escalation_id
        assert esc_id is not None
        actions: list[str] = []
        async with self.store.db.transaction() as tx:
            if task.state == "paused":  # fired just before the pause: the question's clock waits
                await Timers.defer_in(tx, claimed.event.refs.get("timer_key", ""))
                await self.tools.finish_in(tx, claimed, "task", (f"deadline of #{esc_id}",), ["task paused"])
                return
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
                await self.tools.tell(tx, rulebook, None, text, key=f"{claimed.event.id}:expired", task=task)
                actions.append(f"task #{task.id}: failed, the owner did not choose in time")
            await self.tools.finish_in(tx, claimed, "task", (f"deadline of #{esc_id}",), actions)


def _reread(contact: Contact, spec: QuotesSpec) -> Quote:
    """The unclear quote of a contact, read again from their stored reply: the readers
    are deterministic, so this is the reading the reply got when it arrived."""
    return read_quote(extract(Event.from_json(contact.reply_event)), spec)
