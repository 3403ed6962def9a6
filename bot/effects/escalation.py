"""How a question to the owner looks, and how an answer is read without a model.

Prompts are plain text with numbered options; connectors add buttons where their
channel has them (button data ``esc:<id>:<nonce>:<option>``, the nonce single-use
because the escalation closes on the first answer).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.actions import Action, Calendar, Escalate, File, Forward, Ignore, Offer, Reply, ToolCall, Webhook
from bot.delivery import Button
from bot.effects.drafting import is_draft
from bot.events import Event
from bot.first_char import guarded
from bot.rules.lesson import reply_text

SNIPPET = 600


def button_data(escalation_id: int, nonce: str, option: int) -> str:
    return f"esc:{escalation_id}:{nonce}:{option}"


def parse_button_data(data: str) -> tuple[int, str, int] | None:
    match = re.fullmatch(r"esc:(\d+):([A-Za-z0-9_-]+):(\d+)", data)
    return (int(match[1]), match[2], int(match[3])) if match else None


def render_prompt(escalation_id: int, action: Escalate, event: Event) -> str:
    lines = [f"Deputy needs your decision (#{escalation_id})", ""]
    if event.sender:
        who = f"{event.sender_name} <{event.sender}>" if event.sender_name else event.sender
        lines.append(f"From: {who} ({event.channel})")
    if event.subject:
        lines.append(f"Subject: {event.subject}")
    text = event.text.strip()
    if text:
        snippet = text if len(text) <= SNIPPET else text[:SNIPPET] + " …"
        lines += ["", *("> " + line for line in snippet.splitlines())]
    lines += ["", action.question]
    if action.options:
        lines.append("")
        for i, label in enumerate(action.options, start=1):
            lines.append(f"  {i}. {label}")
            acts = action.option_actions[i - 1] if i - 1 < len(action.option_actions) else ()
            lines += [f"     {line}" for line in shown(acts, event)]
    if is_draft(action.reason):
        lines += [
            "",
            "Send: option 1. Discard: option 2. Any other answer is your edited text, sent "
            "exactly as you write it. From the command line: "
            f"deputy send {escalation_id} [--edit], deputy discard {escalation_id}",
        ]
        return "\n".join(lines)
    lines += [
        "",
        "Answer with an option number, write what I should do, or start with "
        '"reply:" for text to send as you wrote it. '
        f"From the command line: deputy answer {escalation_id} TEXT",
    ]
    return "\n".join(lines)


def shown(actions: tuple[Action, ...], event: Event) -> list[str]:
    """What an option sends, in full: recipients and every line of the text. The owner's
    yes to an option covers exactly this, so nothing of it may be cut short."""
    out: list[str] = []
    for action in actions:
        match action:
            case Reply() | Offer():
                to = (action.to if isinstance(action, Reply) else ()) or (event.sender,)
                cc = action.cc if isinstance(action, Reply) else ()
                head = f"sends to {', '.join(to)}" + (f", cc {', '.join(cc)}" if cc else "")
                if isinstance(action, Offer):
                    head += f" (offer {action.amount:g} {action.currency}{', final' if action.final else ''})"
                out.append(head + ":")
                out += [f"| {line}" for line in action.text.splitlines() or [""]]
            case Forward():
                out.append(f"forwards the message to {', '.join(action.to)}" + (":" if action.note else ""))
                out += [f"| {line}" for line in action.note.splitlines()]
            case Webhook():
                out.append("calls the rule's webhook with: " + json.dumps(action.payload, default=str)[:2000])
            case File():
                out.append(f"files the message into {action.folder}")
            case ToolCall():
                # In full: the owner's yes covers exactly these arguments.
                out.append(f"calls {action.full_name} with: " + json.dumps(action.arguments, default=str))
            case Calendar():
                what = {"book": "books", "accept": "accepts", "decline": "declines"}[action.op]
                out.append(f"{what} {action.summary!r} at {action.start} in the calendar {action.channel}")
            case _:
                pass
    return out


def prompt_buttons(escalation_id: int, nonce: str, action: Escalate) -> tuple[Button, ...]:
    return tuple(
        Button(label=label[:60], data=button_data(escalation_id, nonce, i))
        for i, label in enumerate(action.options)
    )


@dataclass(frozen=True, slots=True)
class Interpretation:
    actions: tuple[Action, ...]
    summary: str
    learn: bool = False  # the owner said "always" / "from now on"


_NOTHING = guarded(r"^(?:no|nothing|ignore|skip|drop|do nothing|leave it|none)\.?$", re.I)
_ALWAYS = guarded(r"\b(?:always|from now on|every time|in future|in the future)\b", re.I)


def interpret_answer(
    text: str, *, options: tuple[str, ...], option_actions: tuple[tuple[Action, ...], ...]
) -> Interpretation:
    """Deterministic reading: a number (or yes/no where the options make that plain)
    picks an option; "no"/"ignore" does nothing; anything else is the reply the owner
    wants sent, minus sentences that only instruct Deputy ("Always answer like this.")."""
    stripped = text.strip()
    learn = bool(_ALWAYS.search(stripped))
    match = re.match(r"^#?(\d+)[.)]?(?:\s|$)", stripped)
    if match and options:
        index = int(match[1]) - 1
        if 0 <= index < len(options):
            acts = option_actions[index] if index < len(option_actions) else ()
            return Interpretation(actions=acts, summary=f"option {index + 1}: {options[index]}", learn=learn)
    if options and _YES.match(stripped) and option_actions and not _only_ignore(option_actions[0]):
        return Interpretation(actions=option_actions[0], summary=f"option 1: {options[0]}", learn=learn)
    body = reply_text(stripped) if learn else stripped
    nothing = (Ignore(reason="owner: do nothing"),)
    if not body or _NOTHING.match(body):
        return Interpretation(actions=nothing, summary="do nothing", learn=learn)
    if learn and _IGNORE_WORDS.search(stripped) and len(body.split()) <= 4:
        return Interpretation(actions=(Ignore(reason="owner: ignore"),), summary="ignore", learn=learn)
    return Interpretation(
        actions=(Reply(text=body, auto_submitted=False),),
        summary="reply with the owner's text",
        learn=learn,
    )


_YES = guarded(r"^(?:yes|y|ok|okay|approve[d]?|go ahead|do it|sure)[.!]?$", re.I)
_IGNORE_WORDS = guarded(r"\b(?:ignore|do nothing|skip|drop|no reply|don'?t (?:reply|answer))\b", re.I)


def _only_ignore(actions: tuple[Action, ...]) -> bool:
    return all(isinstance(a, Ignore) for a in actions)
