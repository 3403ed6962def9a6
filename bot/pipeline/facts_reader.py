"""Reads the facts of a message before it is routed to a rule: what the text says
(``bot.facts.extract``, pure and bounded) and what the store knows that the text cannot
say (Deputy wrote in this thread, the sender wrote before, their payment details on
file, the task conversation the thread belongs to), in one round trip.

Rules select on facts ("an invoice under 200 EUR whose payment details did not change"),
so this runs in the router, before selection, and the facts travel with the route to
the desks, the gate, the model prompt and the audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.events import Event
from bot.facts import Facts
from bot.facts.extract import extract, in_context
from bot.store import Known, MessageFacts, thread_key


@dataclass(frozen=True, slots=True)
class Reading:
    facts: Facts
    known: Known


class FactsReader:
    def __init__(self, message_facts: MessageFacts) -> None:
        self.message_facts = message_facts

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
        facts = in_context(
            extract(event, today=today),
            wrote_in_thread=known.wrote_in_thread,
            sender_seen_before=known.sender_seen_before,
            payees_on_file=known.payees_on_file,
        )
        return Reading(facts=facts, known=known)
