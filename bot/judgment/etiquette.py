"""Step 6, etiquette and pause: automatic mail gets no reply (RFC 3834), a follow-up is
kept only where a nudge makes sense, a template goes out once per thread, and while
autonomy is paused whatever would leave Deputy waits for the owner's yes."""

from __future__ import annotations

from collections.abc import Iterable

from bot.actions import EXTERNAL, Action, Escalate, FollowUp, Ignore, Offer, Reply
from bot.effects import follow_up
from bot.effects.asking import ask, hold_for_approval, preview
from bot.judgment.context import Context
from bot.judgment.gate import Checked
from bot.pipeline.etiquette import is_mail
from bot.rules.template import already_sent


def etiquette_and_pause(checked: Checked, ctx: Context, *, addresses: Iterable[str] | None = None) -> Checked:
    """``addresses`` are Deputy's and the owner's: a follow-up needs one of them in To
    (None skips that check, for callers that judge no mail)."""
    allowed, blocked = list(checked.allowed), list(checked.blocked)
    no_reply = ctx.route.no_reply
    if no_reply:
        suppressed = [a for a in allowed if isinstance(a, Reply | Offer)]
        allowed = [a for a in allowed if not isinstance(a, Reply | Offer)]
        blocked += [f"{type(a).__name__}: suppressed, {no_reply}" for a in suppressed]
    allowed, blocked = _template_once(allowed, blocked, ctx)
    allowed, blocked = _follow_ups(allowed, blocked, ctx, addresses)
    if ctx.limits.paused:
        allowed = hold_for_approval(
            allowed,
            outgoing=EXTERNAL,
            rule=ctx.rule.name if ctx.rule else "",
            question=lambda held: f"Autonomy is paused. I would do:\n\n{preview(held)}\n\nGo ahead?",
        )
    return Checked(allowed=allowed, blocked=blocked, negotiation_state=checked.negotiation_state)


def _template_once(allowed: list[Action], blocked: list[str], ctx: Context) -> tuple[list[Action], list[str]]:
    """A reply that repeats the rule's template in a thread where it went out already
    (a model can write it again) is not sent; the owner is asked instead."""
    spec = ctx.rule.header.reply if ctx.rule is not None else None
    template = spec.template if spec is not None else None
    if not template or not already_sent(template, ctx.agent.sent):
        return allowed, blocked
    repeats = [
        a for a in allowed if isinstance(a, Reply) and already_sent(template, [a.text], rendered=a.text)
    ]
    if not repeats:
        return allowed, blocked
    kept = [a for a in allowed if a not in repeats]
    if not any(isinstance(a, Escalate) for a in kept):
        kept.append(
            ask(
                f"I already sent the '{ctx.rule.name if ctx.rule else ''}' reply in this thread and "
                "would have sent it again. How should I answer?",
                reason="template already sent in this thread",
                options=("Do nothing more",),
                option_actions=((Ignore(reason="owner: nothing more"),),),
                default_option=0,
            )
        )
    return kept, [*blocked, *("Reply: the template was already sent in this thread" for _ in repeats)]


def _follow_ups(
    allowed: list[Action], blocked: list[str], ctx: Context, addresses: Iterable[str] | None
) -> tuple[list[Action], list[str]]:
    """Said here for the audit; the executor checks the same for every other path."""
    if not any(isinstance(a, FollowUp) for a in allowed):
        return allowed, blocked
    wrote = bool(ctx.agent.sent) or any(isinstance(a, Reply | Offer) for a in allowed)
    mail = is_mail(ctx.event) and addresses is not None
    why = follow_up.refusal(ctx.event, mail=mail, deputy_wrote=wrote, addresses=addresses or ())
    if why is None:
        return allowed, blocked
    return [a for a in allowed if not isinstance(a, FollowUp)], [*blocked, f"FollowUp: {why}"]
