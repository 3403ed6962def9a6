"""The interface every agent implements, rules-only or LLM-backed.

An agent only proposes. It gets facts gathered by the worker (matching rules, thread
history, memory) and returns a ``Decision``; it has no handle on the store, the
connectors or the outbox, so nothing it does can take effect without the policy gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.actions import Decision
from bot.events import Event
from bot.facts import NO_FACTS, Facts
from bot.rules.model import Rule, Rulebook


@dataclass(frozen=True, slots=True, kw_only=True)
class NegotiationState:
    rounds: int = 0  # offers we made
    our_offers: tuple[float, ...] = ()
    their_offers: tuple[float, ...] = ()
    closed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentContext:
    event: Event
    rules: tuple[Rule, ...]  # matching rules; the first governs
    rulebook: Rulebook
    history: tuple[Event, ...] = ()  # earlier events in this thread, oldest first
    sent: tuple[str, ...] = ()  # what Deputy already sent in this thread, oldest first
    memory: tuple[tuple[str, str], ...] = ()  # (subject, fact) about this correspondent
    negotiation: NegotiationState | None = None
    extra: dict[str, str] = field(default_factory=dict)
    facts: Facts = NO_FACTS  # what the message says, typed (bot.facts)
    # (the rule's draft, as the owner sent it instead), newest first: the owner's style
    examples: tuple[tuple[str, str], ...] = ()

    @property
    def rule(self) -> Rule | None:
        return self.rules[0] if self.rules else None


class Agent(Protocol):
    async def decide(self, ctx: AgentContext) -> Decision: ...

    async def close(self) -> None: ...
