"""Step 6, etiquette and pause: automatic mail gets no reply (RFC 3834), and while
autonomy is paused whatever would leave Deputy waits for the owner's yes."""

from __future__ import annotations

from bot.actions import EXTERNAL, Offer, Reply
from bot.effects.asking import hold_for_approval, preview
from bot.judgment.context import Context
from bot.judgment.gate import Checked


def etiquette_and_pause(checked: Checked, ctx: Context) -> Checked:
    allowed, blocked = list(checked.allowed), list(checked.blocked)
    no_reply = ctx.route.no_reply
    if no_reply:
        suppressed = [a for a in allowed if isinstance(a, Reply | Offer)]
        allowed = [a for a in allowed if not isinstance(a, Reply | Offer)]
        blocked += [f"{type(a).__name__}: suppressed, {no_reply}" for a in suppressed]
    if ctx.limits.paused:
        allowed = hold_for_approval(
            allowed,
            outgoing=EXTERNAL,
            rule=ctx.rule.name if ctx.rule else "",
            question=lambda held: f"Autonomy is paused. I would do:\n\n{preview(held)}\n\nGo ahead?",
        )
    return Checked(allowed=allowed, blocked=blocked, negotiation_state=checked.negotiation_state)
