"""Learned rules: "always do this" in an owner's answer, turned into a rule the owner
confirms before it acts, and can roll back.

Lifecycle: ``proposed`` (written in the answer's own transaction, applies to nothing)
-> ``active`` once the owner confirms (``deputy rules confirm ID`` or "1" to the
confirmation question) -> ``rolled_back`` (``deputy rules rollback ID``). A proposal the
owner declines is ``rejected``. Active records become ``Rule(learned=True)`` objects fed
to ``load_rulebook(extra_rules=...)`` by ``RulebookSource``; the matcher enforces the
scope and the expiry, the policy gate the ``may`` list, exactly as for a rule file.

Only what code can check is learned: a reply with the owner's own words as the template,
filing, forwarding to fixed addresses, or ignoring. Answers that resolve to anything
else (an offer, a webhook, another question) are not proposed.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.actions import Action, Escalate, File, Forward, Ignore, Reply
from bot.events import Event
from bot.first_char import guarded
from bot.rules.lesson import (
    CONFIRM,
    REJECT,
    amount_condition,
    derive_scope,
    learnable,
    parse_expiry,
    unreadable_condition,
    wants_learning,
)
from bot.rules.model import FileSpec, ForwardSpec, ReplySpec, Rule, RuleHeader, When
from bot.store import Tx
from bot.store.learned_rules import LearnedRule, LearnedRules

if TYPE_CHECKING:
    from bot.store import Escalation, Store

log = logging.getLogger("deputy.learned")

_YES = guarded(r"^\s*(?:1|yes|y|ok|okay|confirm|learn it|yes,? learn it)[.!]?\s*$", re.I)
_NO = guarded(r"^\s*(?:2|no|n|don'?t|reject|cancel)[.!]?\s*$", re.I)


# ----- records -> rules --------------------------------------------------------------------
def to_rule(record: LearnedRule) -> Rule:
    may: list[str] = []
    reply = file = forward = None
    for action in record.actions:
        match action:
            case Reply():
                may.append("reply")
                # string.Template: the owner's "$" stays a "$"
                reply = ReplySpec(template=action.text.replace("$", "$$"))
            case File():
                may.append("file")
                file = FileSpec(folder=action.folder, flags=list(action.flags))
            case Forward():
                may.append("forward")
                forward = ForwardSpec(to=list(action.to), note=action.note)
            case Ignore():
                may.append("ignore")
    header = RuleHeader(
        name=record.name,
        description=f"learned from your answer to #{record.escalation_id}",
        when=When.model_validate(
            {
                "from": [record.scope],
                "channel": [record.channel] if record.channel else [],
                # "if under 500 EUR": the condition is read again from the owner's own words
                **({"amount": amount} if (amount := amount_condition(record.answer)) else {}),
            }
        ),
        may=list(dict.fromkeys(may)),  # type: ignore[arg-type]
        reply=reply,
        file=file,
        forward=forward,
        expires=record.expires,
    )
    return Rule(
        name=record.name,
        path=Path(f"learned/{record.id}"),
        header=header,
        instructions=f'Learned from your answer to #{record.escalation_id}: "{record.answer}"',
        learned=True,
    )


def rules_from(records: list[LearnedRule]) -> tuple[Rule, ...]:
    rules = []
    for record in records:
        try:
            rules.append(to_rule(record))
        except Exception as exc:  # one bad record must not take the rulebook down
            log.error("learned rule #%d cannot be loaded and is skipped: %s", record.id, exc)
    return tuple(rules)


# ----- writing a proposal (the handler's hook) --------------------------------------------
async def propose_from_answer(
    tx: Tx,
    *,
    escalation: Escalation,
    answer_text: str,
    actions: tuple[Action, ...],
    learn: tuple[Action, ...] | None = None,
) -> int | None:
    """Called in the transaction that applied an owner's winning answer.

    - An answer to a "learn this?" question confirms or declines that proposal.
    - An answer saying "always"/"from now on" proposes a learned rule (state
      ``proposed``); the caller asks the owner to confirm it (``confirmation``).
    ``learn`` is what the owner's policy would repeat (the reading decides it); without
    it, the resolved ``actions``. A condition code cannot check is never dropped: such a
    policy is not learned at all.
    Returns the id of a new proposal, else None. Idempotent per escalation."""
    if await _answer_to_confirmation(tx, escalation, answer_text, actions):
        return None
    if not wants_learning(answer_text) or unreadable_condition(answer_text):
        return None
    learned = learnable(
        tuple(actions if learn is None else learn), answer_text, sender=escalation.event.sender
    )
    scope = derive_scope(escalation.event, answer_text)
    if not learned or not scope or "@" not in scope:
        return None
    today = datetime.now(UTC).date()
    rule_id = await LearnedRules.propose_in(
        tx,
        escalation_id=escalation.id,
        answer=answer_text,
        scope=scope,
        channel=escalation.event.channel,
        actions=learned,
        expires=parse_expiry(answer_text, today=today),
    )
    if rule_id is None:
        return None
    return rule_id


def confirmation_question(record: LearnedRule) -> str:
    until = f" until {record.expires}" if record.expires else ""
    amount = amount_condition(record.answer)
    if amount:
        words = {"min": "at least", "max": "at most"}
        bounds = [f"{words[k]} {amount[k]:g}" for k in words if isinstance(amount.get(k), float)]
        until += f" when the amount is {' and '.join(bounds)} {amount['currency']} (otherwise I ask you)"
    return (
        f"Learn rule #{record.id}? For mail from {record.scope}{until}: {record.describe()}, "
        f"without asking you. Source: your answer to #{record.escalation_id} "
        f'("{record.answer[:200]}"). Answer 1 to confirm or 2 to decline; '
        f"later: deputy rules rollback {record.id}"
    )


def confirmation(record: LearnedRule, origin: Event) -> tuple[Event, Escalate]:
    """The question that asks the owner to confirm a proposal, and the event it hangs on."""
    ask = Escalate(
        question=confirmation_question(record),
        reason="learned rule proposed",
        options=("Yes, learn it", "No"),
        option_actions=(
            (Ignore(reason=f"{CONFIRM}{record.id}"),),
            (Ignore(reason=f"{REJECT}{record.id}"),),
        ),
        default_option=1,  # silence never turns a rule on
    )
    return _confirmation_event(record.id, origin), ask


def _confirmation_event(rule_id: int, origin: Event) -> Event:
    # The question is about Deputy, not the correspondent: anything the owner writes
    # back stays on the owner's console and never reaches the original sender.
    return Event(
        id=f"learned:{rule_id}",
        channel="cli",
        kind="owner_message",
        thread=f"learned-{rule_id}",
        sender="owner",
        sender_verified_owner=True,
        received_at=datetime.now(UTC),
        subject=f"Learned rule #{rule_id} ({origin.sender})",
    )


async def _answer_to_confirmation(
    tx: Tx, escalation: Escalation, answer_text: str, actions: tuple[Action, ...]
) -> bool:
    rule_id = await LearnedRules.by_confirmation_in(tx, escalation.id)
    if rule_id is None:
        return False
    reasons = {a.reason for a in actions if isinstance(a, Ignore)}
    if f"{CONFIRM}{rule_id}" in reasons or _YES.match(answer_text):
        await LearnedRules.set_state_in(tx, rule_id, "active", allowed=("proposed",))
    elif f"{REJECT}{rule_id}" in reasons or _NO.match(answer_text):
        await LearnedRules.set_state_in(tx, rule_id, "rejected", allowed=("proposed",))
    return True


# ----- state changes ---------------------------------------------------------------------
async def _close_confirmation_in(tx: Tx, record: LearnedRule, how: str) -> None:
    if record.confirm_escalation_id is None:
        return
    from bot.store import Escalations, Timers

    await Escalations.close_in(tx, record.confirm_escalation_id, state="answered", answer=how, via="cli")
    await Timers.cancel_scope_in(tx, prefixes=(), keys=(f"esc-deadline:{record.confirm_escalation_id}",))
    await Timers.cancel_in(tx, key_prefix=f"esc-remind:{record.confirm_escalation_id}:")


async def confirm(store: Store, rule_id: int, *, via: str = "the command line") -> tuple[bool, str]:
    """Activate a proposed (or rolled-back) learned rule. Returns (changed, message)."""
    async with store.db.transaction() as tx:
        record = await LearnedRules.get_in(tx, rule_id)
        if record is None:
            return False, f"no learned rule #{rule_id}"
        if not await LearnedRules.set_state_in(tx, rule_id, "active", allowed=("proposed", "rolled_back")):
            return False, f"learned rule #{rule_id} is {record.state}"
        await _close_confirmation_in(tx, record, f"confirmed from {via}")
    return True, f"learned rule #{rule_id} is active: mail from {record.scope}: {record.describe()}"


async def rollback(store: Store, rule_id: int, *, via: str = "the command line") -> tuple[bool, str]:
    """Deactivate a learned rule (active or still proposed)."""
    async with store.db.transaction() as tx:
        record = await LearnedRules.get_in(tx, rule_id)
        if record is None:
            return False, f"no learned rule #{rule_id}"
        if not await LearnedRules.set_state_in(tx, rule_id, "rolled_back", allowed=("active", "proposed")):
            return False, f"learned rule #{rule_id} is {record.state}"
        await _close_confirmation_in(tx, record, f"rolled back from {via}")
    return True, f"learned rule #{rule_id} rolled back: I will ask again about mail from {record.scope}"


async def records(store: Store) -> list[LearnedRule]:
    return await store.learned_rules.all()


async def active_rules(store: Store) -> tuple[Rule, ...]:
    return rules_from(await store.learned_rules.active())
