"""Step 7, autonomy: a rule's level decides what happens to what passed the gate.
``auto`` acts; ``draft`` holds whatever would leave Deputy as a draft for the owner's
Send, Edit or Discard (filing and remembering still happen); ``shadow`` does nothing and
records what it would have done."""

from __future__ import annotations

from bot.actions import Ignore
from bot.config import Settings
from bot.effects.drafting import draft_question, holds, would_have
from bot.judgment.gate import Checked
from bot.rules.model import Rule
from bot.store import Store


async def level_of(store: Store, rule: Rule | None, settings: Settings) -> str:
    """The owner's confirmed level (or Deputy's lowering) over the rule file's, over the
    config's default."""
    if rule is None:
        return "auto"  # no rule: nothing to act on; escalations are not held
    record = await store.rule_ledger.get(rule.name)
    if record is not None and record.level:
        return record.level
    return rule.header.autonomy or settings.autonomy.default


def drafts(checked: Checked, *, rule: str, level: str) -> Checked:
    if level == "shadow":
        acts = [a for a in checked.allowed if not isinstance(a, Ignore)]
        shadow = tuple(would_have(a) for a in acts) or ("would have done nothing",)
        return Checked(allowed=[], blocked=checked.blocked, shadow=shadow)
    if level != "draft":
        return checked
    held = tuple(a for a in checked.allowed if holds(a))
    if not held:
        return checked
    kept = [a for a in checked.allowed if not holds(a)]
    # A question the gate raised stays; the draft is asked beside it.
    kept.append(draft_question(held, rule=rule))
    # The negotiation state is not advanced for an offer that has not left.
    return Checked(allowed=kept, blocked=checked.blocked)
