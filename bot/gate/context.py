"""What the gate is told about a situation (gathered from the store by the worker) and
what it answers: data only, so that the gate stays a pure function of the two."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.actions import Action
from bot.events import Event
from bot.facts import NO_FACTS, Facts
from bot.rules.model import Rule


@dataclass(frozen=True, slots=True, kw_only=True)
class GateContext:
    """What the gate knows about the situation, gathered from the store by the worker."""

    event: Event
    rule: Rule | None
    participants: frozenset[str]  # everyone in this thread so far (lower-cased)
    replies_in_thread_24h: int = 0
    sends_to_correspondent_24h: int = 0  # autonomous messages to the sender in 24 h
    # ... and to every address a reply may reach (the budget counts real recipients);
    # when empty, every recipient is taken to have had ``sends_to_correspondent_24h``.
    sends_to_24h: Mapping[str, int] = field(default_factory=dict)
    replies_per_thread_cap: int = 3
    sends_per_correspondent_cap: int = 10
    owner_authorized: bool = False  # the owner approved the actions in ``owner_saw``
    # What the owner saw in full (or wrote) and said yes to. The owner's authority covers
    # exactly these; any other action gets every check, as if no owner had answered.
    owner_saw: tuple[Action, ...] = ()
    owner_addresses: frozenset[str] = frozenset()
    negotiation_rounds: int = 0  # offers we already made in this thread
    # Text that must never leave in this thread (other threads' canaries / content).
    foreign_snippets: tuple[str, ...] = ()
    # Text Deputy itself sent in this thread or the owner wrote: links/addresses there
    # may be repeated.
    trusted_text: str = ""
    our_offers: tuple[float, ...] = ()  # amounts we already offered (may be repeated)
    their_offers: tuple[float, ...] = ()  # amounts they offered (may be accepted at the cap)
    negotiation_closed: bool = False  # a deal was closed: no further offers
    follow_ups_in_thread: int = 0  # follow-ups already scheduled in this thread
    facts: Facts = NO_FACTS  # what the inbound message says (bot.facts), read before the decision
    handoff_chain_cap: int = 4  # hand-offs one piece of work may pass through ([limits])
    # Departments' internal addresses: the send budget does not count them (work inside
    # the organisation; the reply cap per thread and the chain cap still hold).
    unbudgeted: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class GateResult:
    allowed: tuple[Action, ...]
    blocked: tuple[tuple[Action, str], ...] = field(default_factory=tuple)
