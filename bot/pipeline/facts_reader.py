"""Reads the facts of a message before it is routed to a rule: what the text says
(``bot.facts.extract``, pure and bounded) and what the store knows that the text cannot
say (Deputy wrote in this thread, the sender wrote before, their payment details on
file, the task conversation the thread belongs to), in one round trip.

Rules select on facts ("an invoice under 200 EUR whose payment details did not change"),
so this runs in the router, before selection, and the facts travel with the route to
the desks, the gate, the model prompt and the audit entry.

A department may name a model for reading facts (``propose``, bot/departments/
facts_stage.py): it runs after the readers and before the store's context, and what it
returns has been checked against the message's own text; its notes (what was taken,
what was dropped and why) go to the audit entry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from bot.events import Event
from bot.facts import Facts
from bot.facts.extract import extract, in_context
from bot.store import Known, MessageFacts, thread_key

# (event, the readers' facts) -> (the facts to use, notes for the audit)
Proposer = Callable[[Event, Facts], Awaitable[tuple[Facts, tuple[str, ...]]]]


@dataclass(frozen=True, slots=True)
class Reading:
    facts: Facts
    known: Known
    notes: tuple[str, ...] = ()


class FactsReader:
    def __init__(self, message_facts: MessageFacts, *, propose: Proposer | None = None) -> None:
        self.message_facts = message_facts
        self.propose = propose

    async def read(self, event: Event, *, today: date) -> Reading:
        known = await self.message_facts.known(
            thread=thread_key(event),
            channel=event.channel,
            threads=(
                event.thread,
                event.refs.get("in_reply_to", ""),
                *event.refs.get("references", "").split(),
            ),
            sender=event.sender,
            event_id=event.id,
        )
        facts = extract(event, today=today)
        notes: tuple[str, ...] = ()
        if self.propose is not None:
            facts, notes = await self.propose(event, facts)
        facts = in_context(
            facts,
            wrote_in_thread=known.wrote_in_thread,
            sender_seen_before=known.sender_seen_before,
            payees_on_file=known.payees_on_file,
        )
        return Reading(facts=facts, known=known, notes=notes)
