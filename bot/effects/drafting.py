"""A draft: what a ``draft``-level rule would send, held as a question with Send and
Discard (an edited text in answer sends that instead). The preview shows every
recipient and the full text (``bot.effects.escalation.shown``); channels split it by
their limits, never cut it."""

from __future__ import annotations

import difflib
from dataclasses import replace

from bot.actions import EXTERNAL, Action, Escalate, Ignore, Offer, Reply, action_name
from bot.delivery import message_id_for
from bot.effects.asking import ask, preview
from bot.effects.reply_message import reply_message
from bot.events import Event
from bot.facts import NO_FACTS, Facts
from bot.gate.policy import GateContext
from bot.owner import OwnerProfile
from bot.rules.model import Rule, Rulebook
from bot.store import Escalation, OutboxRow

DRAFT = "draft"  # Escalate.reason of a draft's preview
SEND, DISCARD = 0, 1  # the preview's options, in order

_SEND_WORDS = frozenset({"1", "send", "send it", "yes", "ok", "go"})
_DISCARD_WORDS = frozenset({"2", "discard", "drop", "delete", "no"})


def is_draft(escalation_reason: str) -> bool:
    return escalation_reason == DRAFT


def holds(action: Action) -> bool:
    """Held by a draft: whatever would leave Deputy (an escalation is already a question)."""
    return isinstance(action, EXTERNAL) and not isinstance(action, Escalate)


def draft_question(held: tuple[Action, ...], *, rule: str) -> Escalate:
    return ask(
        f"Rule '{rule}' is in draft mode: this waits for you. Send it as it is, discard it, "
        "or answer with the text to send instead (sent exactly as you write it, to the "
        "same recipients).",
        reason=DRAFT,
        options=("Send", "Discard"),
        option_actions=(held, (Ignore(reason="owner: discard the draft"),)),
        default_option=DISCARD,  # silence sends nothing
        blocked_by=rule,
    )


def draft_parts(action: Escalate, event: Event) -> tuple[tuple[str, ...], str]:
    """The recipients and the text of a draft's first message, for the drafts table."""
    held = action.option_actions[SEND] if action.option_actions else ()
    for a in held:
        if isinstance(a, Reply | Offer):
            return (a.to or (event.sender,)), a.text
    return (), preview(held)


def read_answer(text: str) -> tuple[str, str]:
    """("send" | "discard" | "edit", the edited text). Only a bare word picks Send or
    Discard; anything longer is the owner's own text."""
    word = text.strip().lower().rstrip(".!")
    if word in _SEND_WORDS:
        return "send", ""
    if word in _DISCARD_WORDS or not word:
        return "discard", ""
    return "edit", text


def edited(held: tuple[Action, ...], text: str) -> tuple[Action, ...]:
    """The held actions with the first message's text replaced by the owner's, to the
    same recipients; a typed price stays the typed field the gate checks."""
    out: list[Action] = []
    done = False
    for a in held:
        if not done and isinstance(a, Reply | Offer):
            out.append(replace(a, text=text))
            done = True
        else:
            out.append(a)
    return tuple(out)


def changed_ratio(before: str, after: str) -> float:
    """The share of characters that changed (0 = the same text, 1 = nothing in common)."""
    if before == after:
        return 0.0
    return round(1.0 - difflib.SequenceMatcher(None, before, after, autojunk=False).ratio(), 4)


def would_have(action: Action) -> str:
    """A shadow rule's record of one action, in full."""
    if isinstance(action, Escalate):
        return f"would have asked the owner: {action.question}"
    return f"would have done {action_name(action)}: {preview((action,))}"


def folder_key(draft_id: int) -> str:
    """The outbox key of a draft's copy in the owner's Drafts folder; its Message-ID
    derives from it (``bot.delivery.message_id_for``), so a retry appends the same one."""
    return f"draft:{draft_id}:folder"


def folder_copy(
    action: Escalate, event: Event, *, draft_id: int, owner: OwnerProfile, domain: str
) -> OutboxRow | None:
    """The draft as a mail for the Drafts folder, threaded like the reply it stands for
    (In-Reply-To, References: RFC 5322 3.6.4); None when the draft holds no message."""
    held = action.option_actions[SEND] if action.option_actions else ()
    first = next((a for a in held if isinstance(a, Reply | Offer)), None)
    if first is None:
        return None
    key = folder_key(draft_id)
    message = reply_message(
        event,
        text=first.text,
        to=first.to,
        cc=first.cc if isinstance(first, Reply) else (),
        key=key,
        mail=True,
        owner=owner,
        auto_submitted=first.auto_submitted if isinstance(first, Reply) else True,
        message_id_domain=domain,
    )
    return OutboxRow(
        key=key,
        event_id=event.id,
        connector=event.channel,
        op="draft",
        payload={**message.to_payload(), "draft_id": str(draft_id)},
        thread=f"draft:{draft_id}",
        autonomous=False,
    )


def folder_delete(draft_id: int, *, connector: str, event_id: str, domain: str) -> OutboxRow:
    """Remove the Drafts-folder copy of a draft answered elsewhere."""
    return OutboxRow(
        key=f"{folder_key(draft_id)}:delete",
        event_id=event_id,
        connector=connector,
        op="draft_delete",
        payload={"message_id": message_id_for(folder_key(draft_id), domain=domain)},
        thread=f"draft:{draft_id}",
        autonomous=False,
    )


def answer_context(
    esc: Escalation,
    rule: Rule | None,
    rulebook: Rulebook,
    *,
    original: str,
    facts: Facts | None,
    owner_saw: tuple[Action, ...],
) -> GateContext:
    """What the gate knows of an owner's answer to draft ``esc``: the owner's authority
    covers ``owner_saw`` only (an unchanged Send); an edited text gets every check, with
    the message and the draft as the text Deputy trusts. The owner's desk checks with it,
    and the console's preview shows its findings before anything goes."""
    return GateContext(
        event=esc.event,
        rule=rule,
        participants=esc.event.participants,
        owner_addresses=frozenset(rulebook.owner.emails),
        owner_authorized=bool(owner_saw),
        owner_saw=owner_saw,
        trusted_text="\n".join((esc.event.text, original)),
        facts=facts or NO_FACTS,
    )
