"""What the scheduler's events mean: the digest, escalation reminders and deadlines,
follow-ups on threads that went quiet, and hand-offs past their deadline."""

from __future__ import annotations

import json
import time

from bot.actions import Action, Escalate, Ignore
from bot.delivery import OutboundMessage, message_id_for
from bot.departments import deadlines
from bot.desks import DeskDeps
from bot.desks.digest import build_digest
from bot.desks.overdue import overdue_in
from bot.effects import follow_up
from bot.effects.escalation import render_prompt
from bot.events import Event
from bot.gate.policy import GateContext
from bot.peers.intake import as_person
from bot.pipeline.router import Route, Scheduled
from bot.rules.model import Rulebook
from bot.store import Claimed, Drafts, Escalations, Inbox, Outbox, PeerMessages, Timers

DAY = 86400.0


class ScheduledDesk:
    """The scheduler's events: the digest, connector notices, escalation deadlines and
    reminders, follow-ups."""

    def __init__(self, deps: DeskDeps) -> None:
        self.store = deps.store
        self.settings = deps.settings
        self.executor = deps.executor
        self.gate = deps.gate
        self.commit = deps.commit

    async def claims(self, claimed: Claimed, route: Route) -> bool:
        return isinstance(route, Scheduled)

    async def handle(self, claimed: Claimed, rulebook: Rulebook, route: Route, started: float) -> None:
        await self.run(claimed, rulebook)

    async def run(self, claimed: Claimed, rulebook: Rulebook) -> None:
        event = claimed.event
        owner = rulebook.owner
        outcome, reasons, actions_done = "scheduled", [event.kind], []
        async with self.store.db.transaction() as tx:
            if event.kind == "digest_due":
                last = await Inbox.last_done_at_in(tx, "digest_due")
                since = last if last is not None else time.time() - DAY
                llm = self.settings.llm
                digest = await build_digest(
                    self.store,
                    owner=owner,
                    since=since,
                    prices_per_mtok=(llm.price_in_per_mtok, llm.price_out_per_mtok),
                )
                if not digest.empty:
                    await self.executor.owner_notice_in(
                        tx, owner=owner, key=f"{event.id}:owner", event_id=event.id, text=digest.text
                    )
                mail = self.settings.digest.email_channel
                if digest.empty:
                    actions_done.append("no digest: nothing to report")
                elif mail and owner.emails and mail in self.executor.channel_types:
                    key = f"{event.id}:email"
                    message = OutboundMessage(
                        to=(owner.emails[0],),
                        subject=digest.subject,
                        text=digest.text,
                        html=digest.html,
                        message_id=message_id_for(key, domain=self.settings.deputy.message_id_domain),
                        thread="deputy-digest",
                    )
                    from bot.store import OutboxRow

                    await self.store.outbox.add_in(
                        tx,
                        OutboxRow(
                            key=key,
                            event_id=event.id,
                            connector=mail,
                            op="send",
                            payload=message.to_payload(),
                            thread="owner:digest",
                            recipient=owner.emails[0],
                            autonomous=False,
                        ),
                    )
                if not digest.empty:
                    actions_done.append("sent the digest")
            elif event.kind == "notice":
                # A connector could not read something (e.g. unparseable mail): tell the owner once.
                await self.executor.owner_notice_in(
                    tx,
                    owner=owner,
                    key=f"{event.id}:notice",
                    event_id=event.id,
                    text=event.text or f"{event.channel}: {event.subject}",
                )
                actions_done.append("told the owner")
            elif event.kind == "timer_due":
                kind = event.refs.get("timer_kind", "")
                if kind == "escalation_deadline":
                    actions_done += await self._deadline(tx, event, rulebook)
                elif kind == "escalation_reminder":
                    actions_done += await self._reminder(tx, event, rulebook)
                elif kind == "follow_up":
                    actions_done += await self._follow_up(tx, event, rulebook)
                elif kind == deadlines.KIND:
                    actions_done += await overdue_in(tx, event, executor=self.executor, rulebook=rulebook)
                reasons.append(kind)
            await self.commit.finish_in(
                tx, claimed, outcome=outcome, reasons=tuple(reasons), actions=actions_done, sender=""
            )

    async def _deadline(self, tx, event, rulebook: Rulebook) -> list[str]:  # type: ignore[no-untyped-def]
        esc = await self.store.escalations.get(int(event.refs["escalation_id"]))
        if esc is None or esc.state != "open":
            return []
        index = esc.default_option
        actions: tuple[Action, ...] = (Ignore(reason="deadline passed, no default"),)
        label = "do nothing"
        if index is not None and 0 <= index < len(esc.option_actions):
            actions, label = esc.option_actions[index], esc.options[index]
        if not await self.store.escalations.close_in(
            tx, esc.id, state="defaulted", answer=label, via="deadline"
        ):
            return []
        await Drafts.close_in(tx, esc.id, state="expired", via="deadline")  # a draft's: nothing sent
        # The default was chosen by the owner's rules in advance; it still passes the gate.
        ctx = GateContext(
            event=esc.event,
            rule=rulebook.by_name(esc.rule),
            participants=esc.event.participants,
            owner_authorized=True,
            owner_saw=actions,  # the default option, shown in full in the question
        )
        from bot.actions import Decision

        allowed = self.gate.check(Decision(actions=actions, rule=esc.rule), ctx).allowed
        applied = await self.executor.apply_in(
            tx,
            event=esc.event,
            actions=allowed,
            key_prefix=f"{event.id}:default",
            rule=esc.rule,
            owner=rulebook.owner,
            autonomous=False,
        )
        await self.executor.owner_notice_in(
            tx,
            owner=rulebook.owner,
            key=f"{event.id}:notice",
            event_id=event.id,
            text=f"No answer to #{esc.id} before its deadline: I applied the safe default ({label}).",
        )
        return [f"deadline of #{esc.id}: applied default ({label})", *applied.descriptions]

    async def _reminder(self, tx, event, rulebook: Rulebook) -> list[str]:  # type: ignore[no-untyped-def]
        esc = await self.store.escalations.get(int(event.refs["escalation_id"]))
        if esc is None or esc.state != "open":
            return []
        n = int(event.refs.get("n", "0"))
        owner = rulebook.owner
        # Each reminder climbs the ladder: preferred channel first, then the fallbacks.
        ladder = [owner.preferred_channel, *owner.fallback_channels]
        channel = ladder[min(n + 1, len(ladder) - 1)] if len(ladder) > 1 else ladder[0]
        # Batch: other open questions whose reminders fall due within the hour go along
        # in this one message, and their own reminders are dropped (DESIGN: batching).
        if esc.reminders_sent > n:
            return [f"#{esc.id} was already reminded in a batch"]
        batch = [esc]
        for row in await Timers.reminders_due_in(tx, until=self.executor.clock() + 3600):
            payload = json.loads(row["payload"])
            if payload.get("n") != str(n):
                continue
            other = await self.store.escalations.get(int(payload.get("escalation_id", "0")))
            if other is None or other.state != "open" or other.reminders_sent > n:
                continue
            if other.id not in {e.id for e in batch}:
                batch.append(other)
            if row["state"] == "pending":
                await Timers.cancel_key_in(tx, row["key"])
        await Escalations.mark_reminded_in(tx, [e.id for e in batch], reminders_sent=n + 1)
        prompts = [
            render_prompt(e.id, Escalate(question=e.question, options=e.options), e.event) for e in batch
        ]
        if len(batch) == 1:
            text = "Reminder: " + prompts[0]
        else:
            text = (
                f"Reminder: {len(batch)} questions wait for you. Answer each with '#N your answer'.\n\n"
                + "\n\n---\n\n".join(prompts)
            )
        await self.executor.owner_notice_in(
            tx,
            owner=owner,
            key=f"{event.id}:remind",
            event_id=event.id,
            text=text,
            channel=channel if channel in self.executor.channel_types else None,
            escalation_id=esc.id if len(batch) == 1 else None,
        )
        return [f"reminded the owner of {', '.join(f'#{e.id}' for e in batch)}"]

    async def _follow_up(self, tx, event, rulebook: Rulebook) -> list[str]:  # type: ignore[no-untyped-def]
        """Nobody answered since we wrote: nudge (up to the rule's follow_up.max), then
        tell the owner the thread went cold. Whether a nudge still makes sense is decided
        now, not when the timer was set (bot.effects.follow_up): a timer that fires after
        the other side answered, or one set before those checks existed, does nothing."""
        thread = f"{event.refs.get('channel', '')}:{event.refs.get('thread', '')}"
        origin_id = event.refs.get("event_id", "")
        origin = await Inbox.event_in(tx, origin_id)
        if origin is None:
            # Without it nothing tells whether the thread was answered: never guess.
            return ["follow-up dropped: the message it follows up on is not in the inbox"]
        (origin,) = await _as_routed(tx, [origin])
        own = tuple(self.settings.deputy.addresses)
        why = follow_up.refusal(
            origin,
            mail=self.executor.channels.speaks_mail(origin.channel, kind=origin.refs.get("channel_type", "")),
            deputy_wrote=await Outbox.has_send_in(tx, thread),
            addresses=(*own, *rulebook.owner.emails),
        )
        if why is not None:
            return [f"follow-up dropped: {why}"]
        later = await Inbox.messages_since_in(tx, thread, origin_id)
        later += await Inbox.replies_to_in(tx, await Outbox.sent_message_ids_in(tx, thread), after=origin_id)
        later = await _as_routed(tx, later)
        if follow_up.answers(later, own=own):
            return ["follow-up not needed: the thread has an answer"]
        rule = rulebook.by_name(event.refs.get("rule", ""))
        spec = rule.header.follow_up if rule is not None else None
        nudges = int(event.refs.get("n", "0"))
        if rule is not None and spec is not None and nudges < spec.max:
            from bot.actions import Decision, Reply
            from bot.agent.base import AgentContext
            from bot.agent.rules_only import render_template
            from bot.rules.model import parse_duration_hours

            template = spec.template or (
                "Hello $first_name,\n\njust following up on my previous message. "
                "I would be glad to hear from you.\n\n$signature"
            )
            text = render_template(
                template, event=origin, ctx=AgentContext(event=origin, rules=(rule,), rulebook=rulebook)
            )
            nudge = Reply(text=text)
            gate = GateContext(
                event=origin,
                rule=rule,
                participants=origin.participants,
                replies_per_thread_cap=self.settings.limits.replies_per_thread,
                trusted_text=text,
            )
            allowed = self.gate.check(Decision(actions=(nudge,), rule=rule.name), gate).allowed
            if allowed:
                applied = await self.executor.apply_in(
                    tx,
                    event=origin,
                    actions=allowed,
                    key_prefix=f"{event.id}:nudge",
                    rule=rule.name,
                    owner=rulebook.owner,
                    autonomous=True,
                )
                from bot.store import Timers

                await Timers.add_in(
                    tx,
                    key=f"{event.refs.get('timer_key', event.id)}:n{nudges + 1}",
                    due_at=self.executor.clock() + parse_duration_hours(spec.after) * 3600,
                    kind="follow_up",
                    payload={
                        **{
                            k: v
                            for k, v in event.refs.items()
                            if k in ("channel", "thread", "event_id", "note", "rule")
                        },
                        "n": str(nudges + 1),
                    },
                )
                return [f"nudged ({nudges + 1} of {spec.max})", *applied.descriptions]
        await self.executor.owner_notice_in(
            tx,
            owner=rulebook.owner,
            key=f"{event.id}:cold",
            event_id=event.id,
            text=f"No answer in {thread} after {nudges} nudge(s) (rule {event.refs.get('rule', '')}): "
            "the thread has gone quiet.",
        )
        return ["told the owner the thread went cold"]


async def _as_routed(tx, events: list[Event]) -> list[Event]:  # type: ignore[no-untyped-def]
    """Stored events as the router read them: a verified peer's mail is a person's
    (bot.peers), not machine mail for its Auto-Submitted."""
    peers = await PeerMessages.peers_of_in(tx, [e.id for e in events])
    return [as_person(e, peer=peers[e.id]) if e.id in peers else e for e in events]
