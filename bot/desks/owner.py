"""The owner's desk: answers to escalations, commands, undo, and free-text
instructions. Everything here acts with the owner's authority, which the router has
already verified; the gate still checks every action.
"""

from __future__ import annotations

import logging
import re
import time

from bot.actions import (
    Action,
    Decision,
    Escalate,
    Notify,
    Offer,
    Reply,
)
from bot.desks import DeskDeps
from bot.effects.escalation import interpret_answer
from bot.events import Event
from bot.gate.policy import GateContext
from bot.pipeline.router import Answer, Command, Instruction, Route
from bot.rules import learned
from bot.rules.model import Rulebook
from bot.store import Claimed, Escalation, Tx, thread_key
from bot.store.learned_rules import LearnedRules

log = logging.getLogger("deputy.handler")
DAY = 86400.0


class OwnerDesk:
    def __init__(self, deps: DeskDeps) -> None:
        self.store = deps.store
        self.settings = deps.settings
        self.executor = deps.executor
        self.gate = deps.gate
        self.commit = deps.commit
        self.agent = deps.agent

    async def claims(self, claimed: Claimed, route: Route) -> bool:
        return isinstance(route, Answer | Command | Instruction)

    async def _answer_owner(
        self,
        claimed: Claimed,
        rulebook: Rulebook,
        text: str,
        *,
        reason: str,
        started: float,
        decision: Decision | None = None,
    ) -> None:
        """Finish an owner's message with a note back on the channel it came from."""
        await self.commit.finish(
            claimed,
            rulebook,
            (_notify_on(claimed.event, text),),
            outcome="owner",
            reasons=(reason,),
            started=started,
            autonomous=False,
            decision=decision,
        )

    async def handle(self, claimed: Claimed, rulebook: Rulebook, route: Route, started: float) -> None:
        match route:
            case Answer():
                await self._answer(claimed, rulebook, route, started)
            case Command():
                await self._command(claimed, rulebook, route, started)
            case Instruction(text):
                await self._instruction(claimed, rulebook, text, started)
            case _:
                raise ValueError(f"the owner's desk does not handle {type(route).__name__}")

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
                await self.commit.finish_in(
                    tx,
                    claimed,
                    outcome="late answer",
                    reasons=(f"#{esc.id} already closed",),
                    started=started,
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
                proposed = await learned.propose_from_answer(
                    tx, escalation=esc, answer_text=route.text or summary, actions=tuple(allowed)
                )
                if proposed is not None:
                    await self._ask_to_learn(tx, proposed, esc.event, rulebook)
                for connector, ref in await self.store.escalations.prompt_refs(esc.id):
                    if connector == "cli" or self.executor.channels.capabilities(connector).mail:
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
                await self.commit.finish_in(
                    tx,
                    claimed,
                    outcome="answered",
                    reasons=decision.reasons,
                    actions=applied.descriptions,
                    rule=esc.rule,
                    started=started,
                )

    async def _ask_to_learn(self, tx: Tx, rule_id: int, origin: Event, rulebook: Rulebook) -> None:
        """A proposed learned rule waits for the owner's yes, asked in the same commit."""
        record = await LearnedRules.get_in(tx, rule_id)
        assert record is not None
        event, ask = learned.confirmation(record, origin)
        applied = await self.executor.apply_in(
            tx,
            event=event,
            actions=(ask,),
            key_prefix=f"learned:{rule_id}",
            rule="",
            owner=rulebook.owner,
            autonomous=False,
        )
        if applied.escalation_ids:
            await LearnedRules.set_confirmation_in(tx, rule_id, applied.escalation_ids[0])

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
                offer = Offer(
                    text=f"We can do {reading.amount:g} {mandate.currency}.",
                    amount=reading.amount,
                    currency=mandate.currency,
                )
                return (offer,), f"offer {reading.amount:g} {mandate.currency}"
        if reading.reply_text:
            reply = Reply(text=reading.reply_text, auto_submitted=False)
            return (reply,), "reply written from the owner's answer"
        return None

    async def _undo(self, event: Event, seq: int, rulebook: Rulebook) -> str:
        """Undo a filing: move the message back to the inbox. Sent messages cannot be
        unsent, so only filing is undoable; the digest lists the numbers."""
        row = await self.store.outbox.filing(seq)
        if row is None or row["state"] != "sent":
            return f"There is no completed filing #{seq} to undo."
        import json

        payload = json.loads(row["payload"])
        receipt = json.loads(row["receipt"] or "{}")
        back: dict[str, object] = {
            "folder": "INBOX",
            "flags": [],
            "save_attachments": False,
            "message_id": payload.get("message_id", ""),
            "mailbox": payload.get("folder", ""),
        }
        if receipt.get("relative_path"):  # local mode: where the filed message lies now
            back["path"] = receipt["relative_path"]
        async with self.store.db.transaction() as tx:
            from bot.store import OutboxRow

            await self.store.outbox.add_in(
                tx,
                OutboxRow(
                    key=f"undo:{seq}",
                    event_id=event.id,
                    connector=row["connector"],
                    op="file",
                    payload=back,
                    thread=f"undo:{seq}",
                    autonomous=False,
                ),
            )
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
            from bot.desks.digest import build_digest

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
        await self._answer_owner(claimed, rulebook, text, reason=f"command {route.name}", started=started)

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
            await self._answer_owner(
                claimed, rulebook, note, reason=f"instruction: {text[:80]}", started=started
            )
            return
        from bot.agent.instruction import plan_instruction

        recent: list[Event] = []
        seen: set[str] = set()
        for earlier in await self.store.inbox.recent_done_messages(limit=200):
            if thread_key(earlier) not in seen:
                seen.add(thread_key(earlier))
                recent.append(earlier)
            if len(recent) >= 12:
                break
        plan = await plan_instruction(client, instruction=text, recent=recent, owner_name=rulebook.owner.name)
        decision = Decision(actions=(), llm_calls=1, tokens_in=plan.tokens_in, tokens_out=plan.tokens_out)
        if plan.target is None:
            await self._answer_owner(
                claimed,
                rulebook,
                plan.question,
                reason=f"instruction unclear: {text[:80]}",
                started=started,
                decision=decision,
            )
            return
        target = plan.target
        reply = Reply(text=plan.text, auto_submitted=False)
        gate = GateContext(event=target, rule=None, participants=target.participants, owner_authorized=True)
        allowed = self.gate.check(Decision(actions=(reply,)), gate).allowed
        async with self.store.db.transaction() as tx:
            applied = await self.executor.apply_in(
                tx,
                event=target,
                actions=allowed,
                key_prefix=f"{event.id}:instruction",
                rule="",
                owner=rulebook.owner,
                autonomous=False,
            )
            await self.executor.owner_notice_in(
                tx,
                owner=rulebook.owner,
                key=f"{event.id}:done",
                event_id=event.id,
                channel=self._reply_channel(event, rulebook),
                text=f"Done: sent to {target.sender_name or target.sender}: {plan.text}",
            )
            await self.commit.finish_in(
                tx,
                claimed,
                outcome="owner",
                reasons=(f"instruction: {text[:80]}",),
                actions=applied.descriptions,
                started=started,
                decision=decision,
            )

    def _reply_channel(self, event: Event, rulebook: Rulebook) -> str | None:
        return event.channel if event.channel in self.executor.channel_types else None


def _notify_on(event: Event, text: str) -> Action:
    return Notify(text=text, channel=event.channel)
