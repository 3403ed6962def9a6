"""Durable state in one SQLite file: inbox, outbox, escalations, timers, audit, memory,
key/value, tasks, negotiations and learned rules. The only package with SQL."""

from __future__ import annotations

from pathlib import Path

from bot.store.audit import Audit, AuditEntry
from bot.store.console_tokens import ConsoleTokens
from bot.store.db import Database, Tx
from bot.store.drafts import Draft, Drafts
from bot.store.escalations import Escalation, Escalations
from bot.store.inbox import Claimed, Inbox, thread_key
from bot.store.instance_lock import InstanceLock
from bot.store.kv import KeyValue, NamespacedState
from bot.store.learned_rules import LearnedRule, LearnedRules
from bot.store.memory import Memory, MemoryFact
from bot.store.message_facts import Known, MessageFacts
from bot.store.negotiations import Negotiations
from bot.store.outbox import Outbox, OutboxRow
from bot.store.peer_messages import PeerMessages
from bot.store.rule_ledger import RuleLedger, RuleRecord
from bot.store.spend import Spend
from bot.store.tasks import Tasks
from bot.store.timers import Timers


class Store:
    def __init__(
        self, path: Path, *, synchronous: str = "NORMAL", busy_timeout: float = 10.0, create: bool = True
    ) -> None:
        self.db = Database(path, synchronous=synchronous, busy_timeout=busy_timeout, create=create)
        self.inbox = Inbox(self.db)
        self.outbox = Outbox(self.db)
        self.escalations = Escalations(self.db)
        self.timers = Timers(self.db)
        self.audit = Audit(self.db)
        self.memory = Memory(self.db)
        self.kv = KeyValue(self.db)
        self.tasks = Tasks(self.db)
        self.negotiations = Negotiations(self.db)
        self.learned_rules = LearnedRules(self.db)
        self.message_facts = MessageFacts(self.db)
        self.console_tokens = ConsoleTokens(self.db)
        self.drafts = Drafts(self.db)
        self.rule_ledger = RuleLedger(self.db)
        self.spend = Spend(self.db)
        self.peer_messages = PeerMessages(self.db)

    async def open(self) -> None:
        await self.db.open()

    async def close(self) -> None:
        await self.db.close()


__all__ = [
    "Audit",
    "AuditEntry",
    "Claimed",
    "ConsoleTokens",
    "Database",
    "Draft",
    "Drafts",
    "Escalation",
    "Escalations",
    "Inbox",
    "InstanceLock",
    "KeyValue",
    "Known",
    "LearnedRule",
    "LearnedRules",
    "Memory",
    "MemoryFact",
    "MessageFacts",
    "NamespacedState",
    "Negotiations",
    "Outbox",
    "OutboxRow",
    "PeerMessages",
    "RuleLedger",
    "RuleRecord",
    "Spend",
    "Store",
    "Tasks",
    "Timers",
    "Tx",
    "thread_key",
]
