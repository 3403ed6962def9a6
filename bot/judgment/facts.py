"""Step 2, facts: what the message's facts imply before any decision.

The facts themselves are read with the route (``bot.pipeline.facts_reader``), because
rules select on them. Here they bound the matched rule: its ``ask_when`` ("do this, but
ask me when ..."), and its amount limit applied to the amount the message asks for (an
invoice of 4,800 EUR under a 200 EUR rule, in another currency, or with no amount Deputy
can read, is put to the owner, whatever the rule would have written).
"""

from __future__ import annotations

from bot.judgment.context import Context
from bot.rules.matcher import must_ask


def ask_reason(ctx: Context) -> str | None:
    """Why the rule's actions must become a question to the owner (None: decide)."""
    if ctx.rule is None:
        return None
    return must_ask(ctx.rule, ctx.event, ctx.route.facts)
