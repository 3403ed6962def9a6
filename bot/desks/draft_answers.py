"""The owner's Send, Edit or Discard of a draft, from any channel.

Send covers exactly the text and recipients the preview showed (``owner_saw``). An
edited text is the owner's own words, sent byte for byte to the same recipients, but
it gets every check of the rule (recipients, typed commitments, links): what the gate
blocks is put back to the owner with its reason. The outbox keys derive from the draft
id and its version, and the draft, the ledger and the sends are one transaction, so an
approval is carried out exactly once however often it is repeated or interrupted.
"""

from __future__ import annotations

from bot.actions import Action, Decision
from bot.desks import DeskDeps
from bot.desks.answers import Answers
from bot.effects import asking
from bot.effects.drafting import SEND, answer_context, changed_ratio, edited, folder_delete, read_answer
from bot.faults import fault
from bot.pipeline.router import Answer
from bot.rules.model import Rulebook
from bot.store import Claimed, Drafts, RuleLedger, RuleRecord, Tx

# The owner's answer -> the draft's state, and what the rule's ledger counts.
STATES = {
    "send": "sent",
    "edit": "edited",
    "discard": "discarded",
    "sent_by_owner": "sent_by_owner",
    "deleted_by_owner": "deleted_by_owner",
}
LEDGER = {
    "send": "sent",
    "edit": "edited",
    "discard": "discarded",
    "sent_by_owner": "sent",
    "deleted_by_owner": "discarded",
}


class DraftAnswers:
    def __init__(self, deps: DeskDeps, answers: Answers) -> None:
        self.answers = answers  # for the prompts on other channels, updated once answered
        self.store = deps.store
        self.settings = deps.settings
        self.executor = deps.executor
        self.gate = deps.gate
        self.commit = deps.commit

    async def handle(self, claimed: Claimed, rulebook: Rulebook, route: Answer, started: float) -> None:
        event, esc = claimed.event, route.escalation
        op, text = self._read(route, claimed)
        rule = rulebook.by_name(esc.rule)
        held = esc.option_actions[SEND] if esc.option_actions else ()
        draft = await self.store.drafts.get(esc.id)
        original = draft.text if draft is not None else ""
        facts = await self.store.message_facts.get(esc.event.id)
        actions: tuple[Action, ...] = ()
        owner_saw: tuple[Action, ...] = ()
        changed, version = 0.0, 1
        if op == "send":
            actions = owner_saw = held
        elif op == "edit":
            actions, changed, version = edited(held, text), changed_ratio(original, text), 2
        elif op == "sent_by_owner":  # from their own mail client: Deputy sends nothing
            signature = rulebook.owner.signature
            sent = text.rstrip("\n").removesuffix(signature).rstrip("\n") if signature else text.rstrip("\n")
            changed = changed_ratio(original.rstrip("\n"), sent)
        decision = Decision(actions=actions, reasons=(f"owner: {op} draft #{esc.id}",), rule=esc.rule)
        ctx = answer_context(esc, rule, rulebook, original=original, facts=facts, owner_saw=owner_saw)
        result = self.gate.check(decision, ctx)
        allowed: list[Action] = list(result.allowed)
        question = asking.blocked(result, decision)
        if question is not None:
            allowed.append(question)
        state = STATES[op]
        # Answered in a channel: told there. Seen in the mailbox: told where the owner is.
        spoke = event.channel in self.executor.channel_types and not op.endswith("_by_owner")
        channel = event.channel if spoke else None
        async with self.store.db.transaction() as tx:
            won = await self.store.escalations.close_in(
                tx, esc.id, state="answered", answer=f"{state} draft", via=route.via
            )
            if not won:
                await self._late(tx, claimed, rulebook, esc.id, channel, started)
                return
            final = text if op in ("edit", "sent_by_owner") else ""
            await Drafts.close_in(tx, esc.id, state=state, final_text=final, changed=changed, via=route.via)
            if not op.endswith("_by_owner") and self.executor.channels.capabilities(esc.event.channel).drafts:
                domain = self.settings.deputy.message_id_domain
                await self.store.outbox.add_in(
                    tx, folder_delete(esc.id, connector=esc.event.channel, event_id=event.id, domain=domain)
                )
            applied = await self.executor.apply_in(
                tx,
                event=esc.event,
                actions=tuple(allowed),
                key_prefix=f"draft:{esc.id}:v{version}",
                rule=esc.rule,
                owner=rulebook.owner,
                autonomous=False,
            )
            counted = LEDGER[op] if op != "sent_by_owner" or changed == 0 else "edited"
            record = await RuleLedger.count_in(tx, esc.rule, counted, changed=changed)
            notice = self._notice(esc.id, state, changed, question is not None)
            proposal = await self._propose(tx, record)
            await self.executor.owner_notice_in(
                tx,
                owner=rulebook.owner,
                key=f"{event.id}:draft",
                event_id=event.id,
                channel=channel,
                text="\n\n".join(filter(None, (notice, proposal))),
            )
            await self.answers.update_prompts(tx, event, esc, route.via, notice)
            await self.commit.finish_in(
                tx,
                claimed,
                outcome="answered",
                reasons=decision.reasons,
                actions=applied.descriptions,
                rule=esc.rule,
                started=started,
            )
        fault("after_outbox_commit")

    def _read(self, route: Answer, claimed: Claimed) -> tuple[str, str]:
        refs = claimed.event.refs
        if claimed.event.channel == "cli" and refs.get("draft_op") in ("send", "discard", "edit"):
            # ``deputy send ID --edit`` carries the text as the owner wrote it, unstripped.
            return refs["draft_op"], refs.get("draft_text", "")
        if refs.get("draft_message_id") and refs.get("draft_op") in ("sent_by_owner", "deleted_by_owner"):
            return refs["draft_op"], claimed.event.text  # seen in the owner's mailbox
        if route.option is not None:
            return ("send", "") if route.option == SEND else ("discard", "")
        return read_answer(route.text)

    @staticmethod
    def _notice(draft_id: int, state: str, changed: float, blocked: bool) -> str:
        if blocked:
            return f"Draft #{draft_id}: your text did not pass the rule's checks; I asked you about it."
        if state == "sent":
            return f"Draft #{draft_id} is on its way, as you saw it."
        if state == "edited":
            return f"Draft #{draft_id} is on its way with your text ({changed:.0%} changed)."
        if state == "sent_by_owner":
            sent = f"you sent it from your mail client ({changed:.0%} changed)"
            return f"Draft #{draft_id}: {sent}; I sent nothing myself."
        if state == "deleted_by_owner":
            return f"Draft #{draft_id}: you deleted it in your mail client; nothing was sent."
        return f"Draft #{draft_id} discarded: nothing was sent."

    async def _propose(self, tx: Tx, record: RuleRecord) -> str:
        """After enough unchanged sends in a row, propose raising the rule to auto (once;
        only the owner's ``deputy rules level`` raises it)."""
        wanted = self.settings.autonomy.promote_after
        if record.proposed or record.streak < wanted or record.level == "auto":
            return ""
        await RuleLedger.set_proposed_in(tx, record.rule, True)
        return (
            f"Rule '{record.rule}': the last {record.streak} drafts went out unchanged "
            f"({record.summary()}). To let it send on its own: deputy rules level {record.rule} auto"
        )

    async def _late(
        self, tx: Tx, claimed: Claimed, rulebook: Rulebook, draft_id: int, channel: str | None, started: float
    ) -> None:
        event = claimed.event
        current = await self.store.escalations.get(draft_id)
        done = f"{current.answer} via {current.answered_via}" if current is not None else "closed"
        await self.executor.owner_notice_in(
            tx,
            owner=rulebook.owner,
            key=f"{event.id}:late",
            event_id=event.id,
            channel=channel,
            text=f"Draft #{draft_id} was already {done}; your answer was not applied.",
        )
        await self.commit.finish_in(
            tx, claimed, outcome="late answer", reasons=(f"draft #{draft_id} closed",), started=started
        )
