"""The owner's answer to a question, read for what it means and carried out.

Part of the owner's desk, kept apart because it is the one place the owner's authority
is spent: the reading (``bot/owner_words``) says what the words mean; here the gate is
told exactly which actions the owner saw or wrote (``GateContext.owner_saw``), everything
else gets the rule's checks, and a model is only asked to propose — a reading or a
draft that becomes a new question, never an action.
"""

from __future__ import annotations

from bot.actions import Action, Decision, Escalate, Offer, Reply
from bot.agent.llm_client import LLMClient
from bot.desks import DeskDeps
from bot.effects import asking
from bot.events import Event
from bot.gate.policy import GateContext
from bot.owner_words import carrying
from bot.owner_words.carrying import Outcome, Question
from bot.owner_words.reading import Choice, Policy, Reading, Unclear, read
from bot.pipeline.router import Answer
from bot.rules import learned
from bot.rules.model import Rule, Rulebook
from bot.store import Claimed, Escalation, Tx
from bot.store.learned_rules import LearnedRules


class Answers:
    def __init__(self, deps: DeskDeps) -> None:
        self.store = deps.store
        self.executor = deps.executor
        self.gate = deps.gate
        self.commit = deps.commit
        self.agent = deps.agent

    async def handle(self, claimed: Claimed, rulebook: Rulebook, route: Answer, started: float) -> None:
        esc = route.escalation
        rule = rulebook.by_name(esc.rule)
        q = Question(
            id=esc.id,
            text=esc.question,
            options=esc.options,
            option_actions=esc.option_actions,
            event=esc.event,
        )

        def findings(acts: tuple[Action, ...]) -> tuple[str, ...]:
            return self.findings(esc, rule, rulebook, acts)

        reading: Reading
        if route.option is not None:
            if not 0 <= route.option < len(esc.options):
                raise ValueError(f"option {route.option} out of range for escalation #{esc.id}")
            reading = Choice(index=route.option)
        else:
            yes, no = carrying.shape(esc.options, esc.option_actions)
            reading = read(route.text, options=esc.options, yes_option=yes, no_option=no)
        outcome = carrying.carry(reading, q, rule=rule, owner=rulebook.owner, findings=findings)
        client: LLMClient | None = getattr(self.agent, "client", None)
        if client is not None and route.option is None:
            outcome = await self._with_model(
                client, q, route.text, reading, outcome, rule, rulebook, findings
            )
        await self._apply(claimed, rulebook, route, rule, reading, outcome, started)

    def findings(
        self, esc: Escalation, rule: Rule | None, rulebook: Rulebook, acts: tuple[Action, ...]
    ) -> tuple[str, ...]:
        """What the rule's checks say about ``acts``, for the owner to see before a yes."""
        ctx = GateContext(
            event=esc.event,
            rule=rule,
            participants=esc.event.participants,
            owner_addresses=frozenset(rulebook.owner.emails),
        )
        return tuple(why for _, why in self.gate.check(Decision(actions=acts, rule=esc.rule), ctx).blocked)

    async def _with_model(
        self,
        client: LLMClient,
        q: Question,
        text: str,
        reading: Reading,
        outcome: Outcome,
        rule: Rule | None,
        rulebook: Rulebook,
        findings: carrying.Findings,
    ) -> Outcome:
        """A model drafts what an instruction asks for, or reads what the rules could not;
        either way the result is a new question with the exact actions, for the owner's yes."""
        from bot.agent.answer import draft_message, interpret_answer

        if outcome.draft_with_model:
            draft = await draft_message(
                client,
                instruction=text,
                question=q.text,
                message=q.event.text,
                owner_name=rulebook.owner.name,
            )
            if draft.text is None:
                return outcome
            reply = Reply(text=draft.text, auto_submitted=False)
            ask = carrying.draft(q, text, (reply,), findings=findings)
            return Outcome(summary="a drafted message for the owner's yes", ask=ask)
        if not isinstance(reading, Unclear) or len(text.split()) < 3:
            return outcome  # what the rules read needs no model; "ok", "?" are asked back
        question = Escalate(question=q.text, options=q.options)
        proposal = await interpret_answer(text, question, client=client)
        proposed: tuple[Action, ...] = ()
        label = "Yes, do this"
        if proposal.option is not None and proposal.option < len(q.option_actions):
            proposed, label = q.option_actions[proposal.option], f"Yes: {q.options[proposal.option]}"
        elif proposal.reply_text:
            proposed = (Reply(text=proposal.reply_text, auto_submitted=False),)
        elif proposal.amount is not None and rule is not None and rule.mandate is not None:
            currency = rule.mandate.currency
            proposed = (
                Offer(
                    text=f"We can do {proposal.amount:g} {currency}.",
                    amount=proposal.amount,
                    currency=currency,
                ),
            )
        if not proposed:
            return outcome  # "unclear" from the model is asked back, never sent as written
        intro = (
            f'I read your answer to #{q.id} ("{text[:300]}") as this. It is my reading, not your '
            "words: nothing happens without your yes."
        )
        ask = carrying.draft(q, text, proposed, findings=findings, label=label, intro=intro)
        return Outcome(summary="a reading of the answer for the owner's yes", ask=ask)

    async def _apply(
        self,
        claimed: Claimed,
        rulebook: Rulebook,
        route: Answer,
        rule: Rule | None,
        reading: Reading,
        outcome: Outcome,
        started: float,
    ) -> None:
        event, esc = claimed.event, route.escalation
        channel = event.channel if event.channel in self.executor.channel_types else None
        authorized = outcome.authorized
        actions = (*authorized, *outcome.checked, *((outcome.ask,) if outcome.ask else ()))
        decision = Decision(
            actions=actions, reasons=(f"owner answered #{esc.id}: {outcome.summary}",), rule=esc.rule
        )
        gate_ctx = GateContext(
            event=esc.event,
            rule=rule,
            participants=esc.event.participants,
            owner_addresses=frozenset(rulebook.owner.emails),
            owner_authorized=True,
            owner_saw=authorized,  # exactly what the owner saw in the question, or wrote
        )
        result = self.gate.check(decision, gate_ctx)
        allowed = list(result.allowed)
        blocked = asking.blocked(result, decision)
        if blocked is not None:
            allowed.append(blocked)
        async with self.store.db.transaction() as tx:
            if outcome.close:
                won = await self.store.escalations.close_in(
                    tx, esc.id, state="answered", answer=outcome.summary, via=route.via
                )
            else:
                current = await self.store.escalations.get(esc.id)
                won = current is not None and current.state == "open"
            if not won:
                await self._late(tx, claimed, rulebook, esc, channel, started)
                return
            applied = await self.executor.apply_in(
                tx,
                event=esc.event,
                actions=tuple(allowed),
                key_prefix=f"{event.id}:answer",
                rule=esc.rule,
                owner=rulebook.owner,
                autonomous=False,
            )
            learn = outcome.learn if isinstance(reading, Policy) else ()
            proposed = await learned.propose_from_answer(
                tx,
                escalation=esc,
                answer_text=route.text or outcome.summary,
                actions=tuple(a for a in allowed if a in authorized),
                learn=learn,
            )
            if proposed is not None:
                await self._ask_to_learn(tx, proposed, esc.event, rulebook)
            notice = outcome.notice
            if isinstance(reading, Policy) and learn and proposed is None and not notice:
                notice = f"#{esc.id}: I did what you said for this message, but could not learn it as a rule."
            if notice:
                await self.executor.owner_notice_in(
                    tx,
                    owner=rulebook.owner,
                    key=f"{event.id}:read",
                    event_id=event.id,
                    channel=channel,
                    text=notice,
                )
            if outcome.close:
                await self.update_prompts(tx, event, esc, route.via, outcome.summary)
            await self.commit.finish_in(
                tx,
                claimed,
                outcome="answered" if outcome.close else "owner",
                reasons=decision.reasons,
                actions=applied.descriptions,
                rule=esc.rule,
                started=started,
            )

    async def _late(
        self,
        tx: Tx,
        claimed: Claimed,
        rulebook: Rulebook,
        esc: Escalation,
        channel: str | None,
        started: float,
    ) -> None:
        event = claimed.event
        current = await self.store.escalations.get(esc.id)
        await self.executor.owner_notice_in(
            tx,
            owner=rulebook.owner,
            key=f"{event.id}:late",
            event_id=event.id,
            channel=channel,
            text=f"Question #{esc.id} was already answered"
            f"{' via ' + current.answered_via if current else ''} "
            f"({current.answer if current else ''}); your answer was not applied.",
        )
        await self.commit.finish_in(
            tx, claimed, outcome="late answer", reasons=(f"#{esc.id} already closed",), started=started
        )

    async def update_prompts(self, tx: Tx, event: Event, esc: Escalation, via: str, summary: str) -> None:
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
                    text=f"#{esc.id} answered via {via}: {summary}",
                    receipt=await self.store.kv.get(f"prompt:{connector}:{ref}"),
                ),
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
