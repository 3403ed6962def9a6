"""Step 7, commit: the outcome and everything it does, in one transaction."""

from __future__ import annotations

from bot.actions import Decision, Escalate
from bot.judgment.context import Context
from bot.judgment.gate import Checked
from bot.pipeline.commit import Commit
from bot.rules.model import Rulebook
from bot.store import Claimed


def _late(ctx: Context) -> tuple[str, ...]:
    """A hand-off's result that came after its deadline says so (bot/departments/late.py)."""
    late = ctx.event.refs.get("handoff_late", "")
    return (late,) if late else ()


def outcome_of(checked: Checked) -> str:
    if checked.shadow:
        return "shadow"
    return "escalated" if any(isinstance(a, Escalate) for a in checked.allowed) else "handled"


async def record(
    commit: Commit,
    claimed: Claimed,
    rulebook: Rulebook,
    ctx: Context,
    decision: Decision,
    checked: Checked,
    *,
    started: float,
) -> None:
    state = checked.negotiation_state
    peer = ctx.event.refs.get("peer", "")
    verified = (f"from peer '{peer}': its Deputy-Peer signature verified (bot/peers)",) if peer else ()
    await commit.finish(
        claimed,
        rulebook,
        tuple(checked.allowed),
        outcome=outcome_of(checked),
        reasons=(*verified, *decision.reasons, *checked.shadow, *ctx.route.notes, *_late(ctx)),
        started=started,
        event=ctx.event,
        rule=decision.rule,
        blocked=tuple(checked.blocked),
        decision=decision,
        negotiation_state=(ctx.thread, state) if state else None,
        facts=ctx.route.facts,
    )
