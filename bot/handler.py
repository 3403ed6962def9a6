"""Handles one claimed event: route, decide, check, and commit everything at once.

The finishing transaction writes the outbox rows, escalations, timers, memory and the
audit entry, and marks the event done: either all of it happened or none of it did,
so a crash at any point is repaired by simply handling the event again.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.actions import (
    Action,
    Decision,
    Escalate,
    Forward,
    Ignore,
    Notify,
    Offer,
    Reply,
    Webhook,
    action_to_dict,
)
from bot.agent import negotiation
from bot.agent.base import Agent, AgentContext, NegotiationState
from bot.agent.rules_only import RulesOnlyAgent
from bot.config import Settings
from bot.escalation import interpret_answer
from bot.events import Event
from bot.executor import MAIL_TYPES, Executor
from bot.faults import fault
from bot.learned import propose_from_answer
from bot.policy import GateContext, PolicyGate
from bot.router import Answer, Command, Drop, Instruction, Judge, Refuse, Router, Scheduled
from bot.rules.model import Rulebook
from bot.store import AuditEntry, Claimed, Escalation, Store, thread_key

log = logging.getLogger("deputy.handler")
DAY = 86400.0
EXTERNAL = (Reply, Offer, Forward, Webhook)


class EventHandler:
    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        rulebook: Callable[[], Rulebook],
        executor: Executor,
        agent: Agent | None = None,
        scheduled: Callable[[Claimed, Rulebook], object] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.rulebook = rulebook
        self.executor = executor
        self.agent = agent
        self.rules_only = RulesOnlyAgent()
        self.gate = PolicyGate()
        own = frozenset(a.lower() for a in settings.deputy.addresses)
        self.router = Router(escalations=store.escalations, own_addresses=own)
        self.scheduled = scheduled
        # ----- tasks (issue 7): see bot/task_runner.py -----
        from bot.task_runner import TaskRunner

        llm = getattr(agent, "client", None)  # free-text tasks -> structured, when a model is configured
        self.tasks = TaskRunner(store=store, settings=settings, executor=executor, gate=self.gate, llm=llm)

    async def handle(self, claimed: Claimed) -> None:
        started = time.perf_counter()
        event = claimed.event
        rulebook = self.rulebook()
        today = datetime.now(ZoneInfo(rulebook.owner.timezone)).date()
        route = await self.router.route(event, rulebook, today=today)
        # ----- tasks (issue 7): "task:" orders, replies in task threads, task answers/timers -----
        if await self.tasks.intercept(claimed, rulebook, route):
            return
        # ----- end tasks -----
        match route:
            case Drop(reason):
                await self._finish(
                    claimed, rulebook, (), outcome="ignored", reasons=(reason,), started=started
                )
            case Refuse(reason):
                log.warning("refused %s: %s", event.id, reason)
                await self._finish(
                    claimed, rulebook, (), outcome="refused", reasons=(reason,), started=started
                )
            case Answer():
                await self._answer(claimed, rulebook, route, started)
            case Command():
                await self._command(claimed, rulebook, route, started)
            case Instruction(text):
                await self._instruction(claimed, rulebook, text, started)
            case Judge():
                await self._judge(claimed, rulebook, route, started)
            case Scheduled():
                if self.scheduled is None:
                    raise RuntimeError("no scheduler handler configured")
                await self.scheduled(claimed, rulebook)  # type: ignore[misc]

    # ----- judgment ---------------------------------------------------------------
    async def _judge(self, claimed: Claimed, rulebook: Rulebook, route: Judge, started: float) -> None:
        event = route.event
        thread = thread_key(event)
        rule = route.rules[0] if route.rules else None
        if rule is None and route.no_reply:
            await self._finish(
                claimed,
                rulebook,
                (),
                outcome="kept",
                reasons=(f"automatic mail and no rule: left for the owner ({route.no_reply})",),
                started=started,
                event=event,
            )
            return
        # Independent reads, issued together: the store runs them in one round trip.
        # Memory is read only by a model, the negotiation state by a model or a mandate.
        reads: list[Awaitable[Any]] = [
            self.store.inbox.history(thread, before_seq=claimed.seq),
            self.store.outbox.sent_texts(thread),
        ]
        if self.agent is not None:
            reads.append(self.store.memory.about(event.sender))
        if self.agent is not None or (rule is not None and rule.mandate is not None):
            reads.append(self._negotiation(thread))
        found = await asyncio.gather(*reads)
        earlier, sent = found[0], found[1]
        memory = found[2] if self.agent is not None else []
        negotiation_state = found[-1] if len(found) > 2 + (self.agent is not None) else None
        history = tuple(earlier)
        ctx = AgentContext(
            event=event,
            rules=route.rules,
            rulebook=rulebook,
            history=history,
            sent=tuple(sent),
            memory=tuple(memory),
            negotiation=negotiation_state,
            extra={"owner_instruction": route.owner_note} if route.owner_note else {},
        )
        decision = await self._decide(ctx)
        fault("after_llm_answer")
        if route.owner_note and rule is None and self.agent is None:
            decision = Decision(
                actions=(
                    Escalate(
                        question=f'You forwarded this with: "{route.owner_note[:300]}". '
                        "No rule covers it and no model is configured: what exactly should I send?",
                        reason="owner forward without a matching rule",
                        options=("Do nothing",),
                        option_actions=((Ignore(reason="owner: nothing"),),),
                        default_option=0,
                    ),
                ),
                reasons=("owner forward, no rule",),
                rule="",
            )
        now = time.time()
        mandate = rule.mandate if rule is not None else None
        negotiation_fields: dict[str, Any] = {}
        if mandate is not None:
            negotiation_fields = dict(
                negotiation.gate_fields(ctx.negotiation, mandate=mandate, their_text=event.text)
            )
        participants = set(event.participants)
        for before in history:
            participants |= before.participants
        # Read together after the decision, as before: the gate check between them and the
        # "paused" flag is synchronous, so this reads the same state.
        replies_24h, sends_24h, paused = await asyncio.gather(
            self.store.outbox.autonomous_replies(thread, since=now - DAY),
            self.store.outbox.sends_to(event.sender, since=now - DAY),
            self.store.kv.get("paused"),
        )
        gate_ctx = GateContext(
            event=event,
            rule=rule,
            participants=frozenset(participants),
            thread_text="\n".join(e.text for e in (*history, event)),
            replies_in_thread_24h=replies_24h,
            sends_to_correspondent_24h=sends_24h,
            replies_per_thread_cap=self.settings.limits.replies_per_thread,
            sends_per_correspondent_cap=self.settings.limits.sends_per_correspondent,
            owner_addresses=frozenset(rulebook.owner.emails),
            trusted_text="\n".join((*ctx.sent, route.owner_note)),
            **negotiation_fields,
        )
        result = self.gate.check(decision, gate_ctx)
        new_state = None
        if mandate is not None:
            new_state = negotiation.advance(
                ctx.negotiation, mandate=mandate, their_text=event.text, allowed=result.allowed
            )
        allowed = list(result.allowed)
        blocked = [f"{type(a).__name__}: {why}" for a, why in result.blocked]
        if route.no_reply:
            suppressed = [a for a in allowed if isinstance(a, Reply | Offer)]
            allowed = [a for a in allowed if not isinstance(a, Reply | Offer)]
            blocked += [f"{type(a).__name__}: suppressed, {route.no_reply}" for a in suppressed]
        escalation = result.escalation(decision)
        if escalation is not None:
            allowed.append(escalation)
        if paused == "1":
            allowed = _hold_for_approval(allowed, rule.name if rule else "")
        outcome = "escalated" if any(isinstance(a, Escalate) for a in allowed) else "handled"
        await self._finish(
            claimed,
            rulebook,
            tuple(allowed),
            outcome=outcome,
            reasons=decision.reasons,
            started=started,
            event=event,
            rule=decision.rule,
            blocked=tuple(blocked),
            decision=decision,
            negotiation_state=(thread, negotiation.state_to_json(new_state)) if new_state else None,
        )

    async def _decide(self, ctx: AgentContext) -> Decision:
        """Rules first: what a rule spells out completely never costs a model call."""
        planned = await self.rules_only.decide(ctx)
        needs_judgment = any(isinstance(a, Escalate) for a in planned.actions)
        if self.agent is None or ctx.rule is None or not needs_judgment:
            return planned
        try:
            return await self.agent.decide(ctx)
        except Exception as exc:  # the model is down: rules-only is the safe fallback
            log.warning("agent failed, falling back to rules-only: %s", exc)
            return planned

    async def _negotiation(self, thread: str) -> NegotiationState | None:
        row = await self.store.db.fetchone("SELECT state FROM negotiations WHERE thread=?", (thread,))
        return negotiation.state_from_json(row[0]) if row else None

    # ----- the owner's answers and commands ----------------------------------------
    async def _answer(self, claimed: Claimed, rulebook: Rulebook, route: Answer, started: float) -> None:
        event = claimed.event
        esc = route.escalation
        if route.option is not None:
            if not 0 <= route.option < len(esc.options):
                raise ValueError(f"option {route.option} out of range for escalation #{esc.id}")
            actions = esc.option_actions[route.option] if route.option < len(esc.option_actions) else ()
            summary = f"option {route.option + 1}: {esc.options[route.option]}"
        else:
            reading = interpret_answer(route.text, options=esc.options, option_actions=esc.option_actions)
            actions, summary = reading.actions, reading.summary
            understood = await self._read_answer_with_model(esc, route.text, rulebook)
            if understood is not None:
                actions, summary = understood
        decision = Decision(
            actions=tuple(actions), reasons=(f"owner answered #{esc.id}: {summary}",), rule=esc.rule
        )
        gate_ctx = GateContext(
            event=esc.event,
            rule=rulebook.by_name(esc.rule),
            participants=esc.event.participants,
            owner_authorized=True,
        )
        allowed = self.gate.check(decision, gate_ctx).allowed
        async with self.store.db.transaction() as tx:
            won = await self.store.escalations.close_in(
                tx, esc.id, state="answered", answer=summary, via=route.via
            )
            if not won:
                current = await self.store.escalations.get(esc.id)
                await self.executor.owner_notice_in(
                    tx,
                    owner=rulebook.owner,
                    key=f"{event.id}:late",
                    event_id=event.id,
                    channel=self._reply_channel(event, rulebook),
                    text=f"Question #{esc.id} was already answered"
                    f"{' via ' + current.answered_via if current else ''} "
                    f"({current.answer if current else ''}); your answer was not applied.",
                )
                await self._audit_in(
                    tx, event, outcome="late answer", reasons=(f"#{esc.id} already closed",), started=started
                )
            else:
                applied = await self.executor.apply_in(
                    tx,
                    event=esc.event,
                    actions=allowed,
                    key_prefix=f"{event.id}:answer",
                    rule=esc.rule,
                    owner=rulebook.owner,
                    autonomous=False,
                )
                await propose_from_answer(
                    tx,
                    escalation=esc,
                    answer_text=route.text or summary,
                    actions=tuple(allowed),
                    executor=self.executor,
                    owner=rulebook.owner,
                )
                for connector, ref in await self.store.escalations.prompt_refs(esc.id):
                    if connector == "cli" or self.executor.channel_types.get(connector) in MAIL_TYPES:
                        continue
                    await self.store.outbox.add_in(
                        tx,
                        self.executor.update_prompt_row(
                            key=f"{event.id}:update:{connector}:{ref}",
                            event_id=event.id,
                            connector=connector,
                            ref=ref,
                            text=f"#{esc.id} answered via {route.via}: {summary}",
                            receipt=await self.store.kv.get(f"prompt:{connector}:{ref}"),
                        ),
                    )
                await self._audit_in(
                    tx,
                    event,
                    outcome="answered",
                    reasons=decision.reasons,
                    actions=applied.descriptions,
                    rule=esc.rule,
                    started=started,
                )
            await self.store.inbox.finish_in(tx, claimed.seq)

    async def _read_answer_with_model(
        self, esc: Escalation, text: str, rulebook: Rulebook
    ) -> tuple[tuple[Action, ...], str] | None:
        """Free text such as "yes, but only 300": the model maps it onto an option, a
        reply or a new price. Numbers and yes/no never reach the model; None = keep the
        deterministic reading."""
        client = getattr(self.agent, "client", None)
        if client is None or re.match(r"^\s*#?\d+[.)]?\s*$", text) or not text.strip():
            return None
        from bot.agent.answer import interpret_answer as read_with_model

        question = Escalate(question=esc.question, options=esc.options)
        reading = await read_with_model(text, question, client=client)
        if reading.option is not None and reading.option < len(esc.option_actions):
            index = reading.option
            return esc.option_actions[index], f"option {index + 1}: {esc.options[index]}"
        if reading.amount is not None:
            rule = rulebook.by_name(esc.rule)
            mandate = rule.mandate if rule is not None else None
            if mandate is not None:
                offer = Offer(text=f"We can do {reading.amount:g} {mandate.currency}.",
                              amount=reading.amount, currency=mandate.currency)
                return (offer,), f"offer {reading.amount:g} {mandate.currency}"
        if reading.reply_text:
            reply = Reply(text=reading.reply_text, auto_submitted=False)
            return (reply,), "reply written from the owner's answer"
        return None

    async def _undo(self, event: Event, seq: int, rulebook: Rulebook) -> str:
        """Undo a filing: move the message back to the inbox. Sent messages cannot be
        unsent, so only filing is undoable; the digest lists the numbers."""
        row = await self.store.db.fetchone(
            "SELECT connector, payload, receipt, state FROM outbox WHERE seq=? AND op='file'", (seq,)
        )
        if row is None or row["state"] != "sent":
            return f"There is no completed filing #{seq} to undo."
        import json

        payload = json.loads(row["payload"])
        receipt = json.loads(row["receipt"] or "{}")
        back: dict[str, object] = {"folder": "INBOX", "flags": [], "save_attachments": False,
                                   "message_id": payload.get("message_id", ""),
                                   "mailbox": payload.get("folder", "")}
        if receipt.get("relative_path"):  # local mode: where the filed message lies now
            back["path"] = receipt["relative_path"]
        async with self.store.db.transaction() as tx:
            from bot.store import OutboxRow

            await self.store.outbox.add_in(tx, OutboxRow(
                key=f"undo:{seq}", event_id=event.id, connector=row["connector"], op="file",
                payload=back, thread=f"undo:{seq}", autonomous=False))
        return f"Moving the message of filing #{seq} back to the inbox."

    async def _command(self, claimed: Claimed, rulebook: Rulebook, route: Command, started: float) -> None:
        event = claimed.event
        if route.name == "pending":
            pending = await self.store.escalations.open()
            text = (
                "Nothing is waiting for you."
                if not pending
                else "Waiting for you:\n" + "\n".join(f"#{e.id} {e.question}" for e in pending)
            )
        elif route.name in ("pause", "resume"):
            await self.store.kv.set("paused", "1" if route.name == "pause" else "0")
            text = (
                "Paused: I will ask before sending anything."
                if route.name == "pause"
                else "Resumed: I act on my rules again."
            )
        elif route.name == "undo":
            text = await self._undo(event, int(route.arg), rulebook)
        elif route.name == "digest":
            from bot.digest import build_digest

            llm = self.settings.llm
            prices = (llm.price_in_per_mtok, llm.price_out_per_mtok)
            since = time.time() - DAY
            digest = await build_digest(self.store, owner=rulebook.owner, since=since, prices_per_mtok=prices)
            text = digest.text
        else:
            text = (
                "Commands: pending, pause, resume, digest, help. "
                "Answer question N with '#N your answer' or reply to its prompt."
            )
        await self._finish(
            claimed,
            rulebook,
            (_notify_on(event, text),),
            outcome="owner",
            reasons=(f"command {route.name}",),
            started=started,
            autonomous=False,
        )

    async def _instruction(self, claimed: Claimed, rulebook: Rulebook, text: str, started: float) -> None:
        """A free-text instruction from the owner: the model picks the conversation and
        drafts; code sends only into that conversation, with the owner's authority."""
        event = claimed.event
        client = getattr(self.agent, "client", None)
        if client is None:
            note = (
                "I understood no command. I know: pending, pause, resume, digest, and "
                "'#N your answer' for question N. Free-text instructions need a model "
                "(see [llm] in config.toml)."
            )
            await self._finish(claimed, rulebook, (_notify_on(event, note),), outcome="owner",
                               reasons=(f"instruction: {text[:80]}",), started=started, autonomous=False)
            return
        from bot.agent.instruction import plan_instruction

        rows = await self.store.db.fetchall(
            "SELECT body FROM inbox WHERE kind='message' AND state='done' ORDER BY seq DESC LIMIT 200"
        )
        recent: list[Event] = []
        seen: set[str] = set()
        for row in rows:
            earlier = Event.from_json(row["body"])
            if thread_key(earlier) not in seen:
                seen.add(thread_key(earlier))
                recent.append(earlier)
            if len(recent) >= 12:
                break
        plan = await plan_instruction(client, instruction=text, recent=recent, owner_name=rulebook.owner.name)
        decision = Decision(actions=(), llm_calls=1, tokens_in=plan.tokens_in, tokens_out=plan.tokens_out)
        if plan.target is None:
            await self._finish(claimed, rulebook, (_notify_on(event, plan.question),), outcome="owner",
                               reasons=(f"instruction unclear: {text[:80]}",), started=started,
                               autonomous=False, decision=decision)
            return
        target = plan.target
        reply = Reply(text=plan.text, auto_submitted=False)
        gate = GateContext(event=target, rule=None, participants=target.participants, owner_authorized=True)
        allowed = self.gate.check(Decision(actions=(reply,)), gate).allowed
        async with self.store.db.transaction() as tx:
            applied = await self.executor.apply_in(
                tx, event=target, actions=allowed, key_prefix=f"{event.id}:instruction", rule="",
                owner=rulebook.owner, autonomous=False)
            await self.executor.owner_notice_in(
                tx, owner=rulebook.owner, key=f"{event.id}:done", event_id=event.id,
                channel=self._reply_channel(event, rulebook),
                text=f"Done: sent to {target.sender_name or target.sender}: {plan.text}")
            await self._audit_in(tx, event, outcome="owner", reasons=(f"instruction: {text[:80]}",),
                                 actions=applied.descriptions, started=started, decision=decision)
            await self.store.inbox.finish_in(tx, claimed.seq)

    def _reply_channel(self, event: Event, rulebook: Rulebook) -> str | None:
        return event.channel if event.channel in self.executor.channel_types else None

    # ----- commit ---------------------------------------------------------------------
    async def _finish(
        self,
        claimed: Claimed,
        rulebook: Rulebook,
        actions: tuple[Action, ...],
        *,
        outcome: str,
        reasons: tuple[str, ...],
        started: float,
        event: Event | None = None,
        rule: str = "",
        blocked: tuple[str, ...] = (),
        autonomous: bool = True,
        decision: Decision | None = None,
        negotiation_state: tuple[str, str] | None = None,
    ) -> None:
        target = event or claimed.event
        async with self.store.db.transaction() as tx:
            if negotiation_state is not None:
                tx.defer(
                    "INSERT INTO negotiations (thread, state, updated_at) VALUES (?,?,?)"
                    " ON CONFLICT(thread) DO UPDATE SET state=excluded.state, updated_at=excluded.updated_at",
                    (*negotiation_state, time.time()),
                )
            applied = await self.executor.apply_in(
                tx,
                event=target,
                actions=actions,
                key_prefix=claimed.event.id,
                rule=rule,
                owner=rulebook.owner,
                autonomous=autonomous,
            )
            await self._audit_in(
                tx,
                target,
                outcome=outcome,
                reasons=reasons,
                actions=applied.descriptions,
                rule=rule,
                blocked=blocked,
                started=started,
                decision=decision,
            )
            await self.store.inbox.finish_in(tx, claimed.seq)
        fault("after_outbox_commit")

    async def _audit_in(
        self,
        tx,
        event: Event,
        *,
        outcome: str,
        reasons: tuple[str, ...],  # type: ignore[no-untyped-def]
        started: float,
        actions: tuple[str, ...] = (),
        rule: str = "",
        blocked: tuple[str, ...] = (),
        decision: Decision | None = None,
    ) -> None:
        await self.store.audit.add_in(
            tx,
            AuditEntry(
                event_id=event.id,
                channel=event.channel,
                sender=event.sender,
                subject=event.subject,
                rule=rule,
                outcome=outcome,
                reasons=reasons,
                actions=actions,
                blocked=blocked,
                llm_calls=decision.llm_calls if decision else 0,
                tokens_in=decision.tokens_in if decision else 0,
                tokens_out=decision.tokens_out if decision else 0,
                duration_ms=(time.perf_counter() - started) * 1000,
            ),
        )


def _notify_on(event: Event, text: str) -> Action:
    return Notify(text=text, channel=event.channel)


def _hold_for_approval(actions: list[Action], rule: str) -> list[Action]:
    """Paused autonomy: anything that leaves Deputy waits for the owner's yes."""
    outgoing = tuple(a for a in actions if isinstance(a, EXTERNAL))
    if not outgoing:
        return actions
    kept: list[Action] = [a for a in actions if not isinstance(a, EXTERNAL)]
    preview = "; ".join(f"{type(a).__name__}: {action_to_dict(a).get('text', '')[:120]}" for a in outgoing)
    kept.append(
        Escalate(
            question=f"Autonomy is paused. I would do: {preview}. Go ahead?",
            reason="paused",
            options=("Yes, do it", "No"),
            option_actions=(outgoing, (Ignore(reason="owner: no"),)),
            default_option=1,
            blocked_by=rule,
        )
    )
    return kept
