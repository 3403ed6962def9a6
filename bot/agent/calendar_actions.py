"""What a rule's ``calendar`` keys propose, without a model: answer an invitation, or
book the slot a correspondent took from those Deputy offered.

Only typed fields leave here (``Calendar.start``/``end``); the gate checks them against
the invitation in the message or the slots Deputy's own mail offered. Anything that
cannot be read for certain (no slot named, two named, the time no longer free) is left
to judgment: the owner is asked, nothing is guessed.
"""

from __future__ import annotations

from bot.actions import Action, Calendar
from bot.agent.base import AgentContext
from bot.calendar.offered import chosen, offered_in
from bot.calendar.slots import decode
from bot.facts.text import own_text
from bot.rules.model import Rule
from bot.rules.template import render


def calendar_actions(ctx: AgentContext, rule: Rule, values: dict[str, str]) -> tuple[list[Action], list[str]]:
    """The proposed actions, and what needs judgment instead (for the owner's question)."""
    spec = rule.header.calendar
    if spec is None:
        return [], []
    facts = ctx.facts
    invite = facts.invite
    if invite is not None and invite.method in ("REQUEST", ""):
        if spec.invites == "ask":
            return [], ["an answer to a calendar invitation"]
        summary = invite.summary or ctx.event.subject
        return [Calendar(op=spec.invites, channel=spec.channel, start=invite.start, summary=summary)], []
    if not spec.book or not facts.in_our_thread:
        return [], []
    offered = next((found for text in reversed(ctx.sent) if (found := offered_in(text))), [])
    if not offered or facts.answer in ("declines", "asks", "counter"):
        return [], []
    slot = chosen(own_text(ctx.event.text), offered)
    if slot is None:
        return [], ["which of the offered times they took"]
    if not decode(ctx.extra.get("free_time")).is_free(slot.start, slot.end):
        return [], ["another time: the one they took is no longer free"]
    summary = render(spec.summary, values).strip() or ctx.event.subject
    return [
        Calendar(
            op="book",
            channel=spec.channel,
            start=slot.start.isoformat(),
            end=slot.end.isoformat(),
            summary=summary,
        )
    ], []
