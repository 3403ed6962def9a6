"""The owner's desk: answers to escalations, commands, undo, and free-text
instructions. Everything here acts with the owner's authority, which the router has
already verified; the gate still checks every action.
"""

from __future__ import annotations

import logging
import time

from bot.actions import Action, Decision, Ignore, Notify, Reply
from bot.desks import DeskDeps
from bot.desks.answers import Answers
from bot.desks.demotion import undone_in
from bot.desks.draft_answers import DraftAnswers
from bot.effects import asking
from bot.effects.drafting import is_draft
from bot.events import Event
from bot.gate.policy import GateContext
from bot.pipeline.router import Answer, Command, Instruction, Route
from bot.rules.model import Rulebook
from bot.store import Claimed, thread_key

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
        self.answers = Answers(deps)
        self.drafts = DraftAnswers(deps, self.answers)

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
            case Answer() if is_draft(route.escalation.reason):
                await self.drafts.handle(claimed, rulebook, route, started)
            case Answer():
                await self.answers.handle(claimed, rulebook, route, started)
            case Command():
                await self._command(claimed, rulebook, route, started)
            case Instruction(text):
                await self._instruction(claimed, rulebook, text, started)
            case _:
                raise ValueError(f"the owner's desk does not handle {type(route).__name__}")

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
            lowered = await undone_in(
                tx,
                self.store,
                settings=self.settings,
                rulebook=rulebook,
                event_id=str(row["event_id"]),
                autonomous=bool(row["autonomous"]),
            )
        return f"Moving the message of filing #{seq} back to the inbox." + (f" {lowered}" if lowered else "")

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
                "Commands: pending, pause, resume, digest, help; pause task N, resume task N, "
                "cancel task N. Answer question N with '#N your answer' or reply to its prompt."
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
        # The model chose the conversation and wrote the text: a proposal. It is shown in
        # full, with the recipients and what the checks say, and leaves on the owner's yes.
        reply = Reply(text=plan.text, auto_submitted=False)
        checks = GateContext(
            event=target,
            rule=None,
            participants=target.participants,
            owner_addresses=frozenset(rulebook.owner.emails),
        )
        found = [why for _, why in self.gate.check(Decision(actions=(reply,)), checks).blocked]
        found = [f for f in found if f != "no rule allows acting on this message"]
        ask = asking.ask(
            f'Your instruction: "{text[:300]}". I would send this to '
            f"{target.sender_name or target.sender}; nothing leaves without your yes."
            + (f"\n\nThe checks found: {'; '.join(found)}." if found else ""),
            reason="draft for the owner's yes",
            options=("Send this", "Do nothing"),
            option_actions=((reply,), (Ignore(reason="owner: not this draft"),)),
            default_option=1,
        )
        async with self.store.db.transaction() as tx:
            applied = await self.executor.apply_in(
                tx,
                event=target,
                actions=(ask,),
                key_prefix=f"{event.id}:instruction",
                rule="",
                owner=rulebook.owner,
                autonomous=False,
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
