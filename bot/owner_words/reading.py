"""The deterministic reading of an owner's answer to a question.

Why deterministic first: the owner's answer carries the owner's authority, so what it
means must not depend on a model that the correspondent's mail may have hijacked. The
reading below works in rules-only mode; a model may only propose a better one, which the
owner then confirms (``bot/owner_words/carrying.py``).

The order matters and is the classification:

1. nothing, "?", "hmm" -> unclear;
2. "reply: ..." / "send: ..." (and the de/fr words) -> text to the correspondent;
3. a number, an option's label, a plain yes/no where the options make it plain -> option;
4. "always" / "from now on" / "never" (de/fr too) -> a policy, with its conditions, read
   around the rest of the answer;
5. an instruction to Deputy: hold ("let me check first"), handle myself, ignore,
   decline ("tell him no", "send them packing"), a price ("yes, but only 850"), any
   other imperative about the correspondent ("ask him for the invoice number");
6. words addressed to the correspondent (a salutation, thanks, a sign-off, second
   person, "we") -> text to the correspondent, sent as written;
7. anything else -> unclear, asked back. Never a silent send, never a silent drop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.first_char import guarded
from bot.gate.textscan import bare_numbers_in, money_in
from bot.owner_words import phrases as p
from bot.rules.lesson import amount_condition, reply_text, unreadable_condition

Intent = Literal["hold", "handle_myself", "ignore", "decline", "offer", "draft"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    """One of the question's options, by index."""

    index: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    """Text the owner wrote to the correspondent: sent as written, nothing added."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Instruct:
    """An instruction to Deputy about the correspondent, carried out within the rules."""

    intent: Intent
    text: str
    amount: float | None = None
    currency: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """A standing instruction for the future, with the conditions it states, and what it
    means for the message at hand (``now``)."""

    now: Choice | Send | Instruct
    text: str
    never: bool = False
    amount: dict[str, object] | None = None  # when.amount, from "if under 500 EUR"
    unreadable: str = ""  # a condition code cannot check: the policy is not learned


@dataclass(frozen=True, slots=True, kw_only=True)
class Unclear:
    """Asked back: a short question to the owner, the original question stays open."""

    question: str


Reading = Choice | Send | Instruct | Policy | Unclear


def read(
    text: str,
    *,
    options: tuple[str, ...],
    yes_option: int | None,
    no_option: int | None,
) -> Reading:
    """Read ``text`` against a question's ``options``. ``yes_option``/``no_option`` are
    the options a plain yes/no picks (None: the question is not a yes/no question, so
    "ok" is unclear)."""
    answer = _normalise(text)
    if not answer or p.UNCLEAR.match(answer):
        return Unclear(question=_ask_back(options))
    prefixed = p.SEND_PREFIX.match(answer)
    if prefixed:
        return Send(text=prefixed["body"].strip())
    dictated = p.DICTATED.match(answer)
    if dictated and p.DICTATING.search(answer[: dictated.start("body")]):
        return Send(text=dictated["body"].strip())
    picked = _option(answer, options, yes_option=yes_option, no_option=no_option)
    if picked is not None:
        return picked
    if p.POLICY.search(answer):
        return _policy(answer, options, yes_option=yes_option, no_option=no_option)
    return _plain(answer, options)


_HANDLE = guarded(
    r"(?i)^\s*(?:(?:please|pls|bitte|merci de|thanks?)[,!]?\s*)?"
    r"(?:handle|deal with|take care of|see below|fyi|"
    r"erledigen|bearbeiten|kümmere dich|traiter|s'il te plaît|pour info|zur info|bitte)?\s*"
    r"(?:this|that|it|das|ça|cela)?(?:\s*(?:please|bitte|merci|thanks|s'il te plaît))?\s*[.!]*\s*$"
)


def only_handle(note: str) -> bool:
    """A forward note that only says "please handle this": the rules apply as usual."""
    return bool(_HANDLE.match(_normalise(note)))


def _plain(answer: str, options: tuple[str, ...]) -> Reading:
    if p.SALUTATION.search(answer):  # "Hi Bob, let me check and get back to you."
        return Send(text=answer)
    instruction = _instruction(answer)
    if instruction is not None:
        return instruction
    if _addressed(answer):
        return Send(text=answer)
    return Unclear(question=_ask_back(options))


def _normalise(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'").strip()


def _option(
    answer: str, options: tuple[str, ...], *, yes_option: int | None, no_option: int | None
) -> Choice | None:
    number = re.match(r"(?i)^\s*(?:option|choice|nr\.?|no\.?|#)?\s*(\d{1,2})\s*[.!)]?\s*$", answer)
    if number and options:
        index = int(number[1]) - 1
        return Choice(index=index) if 0 <= index < len(options) else None
    folded = answer.casefold().rstrip(".! ")
    exact = [i for i, label in enumerate(options) if label.casefold() == folded]
    if len(exact) == 1:
        return Choice(index=exact[0])
    if p.YES.match(answer) and yes_option is not None:
        return Choice(index=yes_option)
    if p.NO.match(answer) and no_option is not None:
        return Choice(index=no_option)
    return None


def _instruction(answer: str) -> Instruct | None:
    """The first sentence that instructs Deputy decides; hold wins over everything
    (nothing must leave while the owner checks), then handle-myself, ignore, decline."""
    sentences = [s for s in re.split(r"(?<=[.!?;])\s+|\n+|,\s*(?=\w)", answer) if s.strip()]
    amount, currency = _price(answer)
    for pattern, intent in (
        (p.HOLD, "hold"),
        (p.HANDLE_MYSELF, "handle_myself"),
        (p.IGNORE, "ignore"),
        (p.DECLINE, "decline"),
    ):
        if any(pattern.search(s) for s in sentences):
            return Instruct(intent=intent, text=answer)  # type: ignore[arg-type]
    if amount is not None:
        return Instruct(intent="offer", text=answer, amount=amount, currency=currency)
    if any(p.DIRECTIVE.search(s) for s in sentences):
        return Instruct(intent="draft", text=answer)
    return None


def _price(answer: str) -> tuple[float | None, str]:
    """A price the owner names: an amount with a currency, or a number after a price word
    ("only 850"). Two different amounts are not one price."""
    money = {(a, c) for a, c in money_in(answer) if c}
    if len(money) == 1:
        amount, currency = next(iter(money))
        return amount, currency
    if not money and p.PRICE_WORDS.search(answer):
        numbers = set(bare_numbers_in(answer))
        if len(numbers) == 1:
            return next(iter(numbers)), ""
    return None, ""


def _addressed(answer: str) -> bool:
    """Written to the correspondent: a salutation, courtesy words, a sign-off, second
    person or "we" (in English, German or French)."""
    return bool(
        p.SALUTATION.search(answer)
        or p.COURTESY.search(answer)
        or p.SECOND_PERSON_EN_FR.search(answer)
        or p.SECOND_PERSON_DE.search(answer)
    )


def _policy(
    answer: str, options: tuple[str, ...], *, yes_option: int | None, no_option: int | None
) -> Policy:
    """ "Always answer like this", "always pay invoices from them if under 500 EUR,
    otherwise ask me", "never reply to them": what happens now, and the conditions.

    What the policy does is read from the rest of the answer when there is one (the reply
    above "Always answer like this."), else from the policy sentence itself."""
    never = bool(p.NEVER.search(answer))
    rest = reply_text(answer)
    rest = "" if p.POLICY.search(rest) else rest
    policy_part = answer if not rest else answer.replace(rest, " ")
    now: Choice | Send | Instruct
    picked = _option(rest, options, yes_option=yes_option, no_option=no_option) if rest else None
    if picked is not None:
        now = picked
    elif rest:
        plain = _plain(rest, options)
        now = Send(text=rest) if isinstance(plain, Unclear | Policy) else plain
    elif never or p.IGNORE.search(policy_part):
        now = Instruct(intent="ignore", text=answer)
    elif re.search(r"(?i)\b(?:send|reply|answer)\b[^.]*\b(?:this|that|the same|like this)\b", policy_part):
        now = Instruct(intent="draft", text=answer)  # "send this" with nothing above it
    elif p.AFFIRM.search(policy_part) and yes_option is not None:
        now = Choice(index=yes_option)
    else:
        lead = re.match(r"(?i)^\s*#?(\d{1,2})\b", answer)
        if lead and options and 0 < int(lead[1]) <= len(options):
            now = Choice(index=int(lead[1]) - 1)
        else:
            instruction = _instruction(_strip_policy_words(answer))
            now = instruction or Instruct(intent="draft", text=answer)
    return Policy(
        now=now,
        text=answer,
        never=never,
        amount=amount_condition(policy_part),
        unreadable=unreadable_condition(policy_part),
    )


def _strip_policy_words(answer: str) -> str:
    return p.POLICY.sub("", answer).strip(" ,.;:!-")


def _ask_back(options: tuple[str, ...]) -> str:
    listed = "; ".join(f"{i}. {label}" for i, label in enumerate(options, start=1))
    pick = f"Pick an option ({listed}), or " if options else ""
    return (
        f"I am not sure what you want me to do. {pick}write what I should do "
        '("tell him no", "ignore this one", "let me check first"), or start with '
        '"reply:" for text I should send as you wrote it.'
    )
