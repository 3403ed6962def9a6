"""An automatic action the owner undid counts against its rule, and an ``auto`` rule
goes back to ``draft`` at once: losing autonomy needs no confirmation, earning it does."""

from __future__ import annotations

from bot.config import Settings
from bot.judgment.drafts import level_of
from bot.rules.model import Rulebook
from bot.store import RuleLedger, Store, Tx


async def undone_in(
    tx: Tx, store: Store, *, settings: Settings, rulebook: Rulebook, event_id: str, autonomous: bool
) -> str:
    """Count the undo for the rule that acted on ``event_id``; what the owner is told."""
    name = await store.audit.rule_of(event_id) if autonomous else ""
    rule = rulebook.by_name(name) if name else None
    if rule is None:
        return ""
    level = await level_of(store, rule, settings)
    record = await RuleLedger.count_in(tx, name, "undone")
    if level != "auto":
        return f"Rule '{name}': {record.summary()}."
    await RuleLedger.set_level_in(tx, name, "draft")
    return (
        f"Rule '{name}' is back in draft mode: I will show you what it would do before it "
        f"does it ({record.summary()}). To let it act again: deputy rules level {name} auto"
    )
