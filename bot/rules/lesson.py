"""What an owner's answer teaches: whether it says "always", for whom (the sender or the
whole domain), until when, the reply in the owner's own words without the instruction to
Deputy, and which of the resolved actions a rule may repeat on its own. Pure functions
of the text; ``bot/rules/learned.py`` turns the result into a proposal.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.actions import Action, File, Forward, Ignore, Reply
from bot.events import Event
from bot.first_char import guarded

CONFIRM = "learned-rule:confirm:"
REJECT = "learned-rule:reject:"
_ALWAYS = guarded(
    r"\b(?:always|from now on|every time|in future|in the future|never|immer|ab jetzt|ab sofort|künftig|"
    r"in zukunft|nie|niemals|toujours|désormais|dorénavant|à l'avenir|jamais)\b",
    re.I,
)
_DOMAIN_WIDE = guarded(
    r"\b(?:any(?:one|body)|every(?:one|body)|all)\b[^.!?\n]*\b(?:from|at)\b|\b(?:whole|entire|"
    r"this|that)\s+domain\b",
    re.I,
)
_FOR = guarded(r"\bfor\s+(?:the\s+next\s+)?(\d{1,4})\s+(day|week|month|year)s?\b", re.I)
_UNTIL = guarded(r"\b(?:until|till|through|thru)\s+(\d{4}-\d{2}-\d{2})\b", re.I)
_PREFIX = guarded(r"^\s*(?:always|from now on|every time|in (?:the )?future)\s*[:,;\-–]\s*", re.I)


def wants_learning(text: str) -> bool:
    return bool(_ALWAYS.search(text))


def derive_scope(event: Event, answer_text: str) -> str:
    """The sender's address; the sender's whole domain when the answer says so
    ("anyone from acme", "the whole domain")."""
    sender = event.sender.strip().lower()
    if "@" in sender and _DOMAIN_WIDE.search(answer_text):
        return "*@" + sender.rsplit("@", 1)[1]
    return sender


def parse_expiry(text: str, *, today: date) -> str | None:
    """``for 30 days`` / ``for 2 weeks`` / ``until 2027-01-31`` -> the last day (ISO)."""
    until = _UNTIL.search(text)
    if until:
        try:
            return date.fromisoformat(until[1]).isoformat()
        except ValueError:
            return None
    span = _FOR.search(text)
    if span:
        n, unit = int(span[1]), span[2].lower()
        days = n * {"day": 1, "week": 7, "month": 30, "year": 365}[unit]
        return (today + timedelta(days=days)).isoformat()
    return None


def reply_text(answer_text: str) -> str:
    """The owner's reply without the instruction to Deputy ("Always answer like this.",
    "for 30 days"): sentences that only talk to Deputy are dropped."""
    sentences = [_PREFIX.sub("", s) for s in re.split(r"(?<=[.!?])\s+|\n+", answer_text.strip())]
    directive = (_ALWAYS, _FOR, _UNTIL)
    kept = [s for s in sentences if s.strip() and not any(p.search(s) for p in directive)]
    text = " ".join(kept).strip()
    return text[:1].upper() + text[1:]


_IGNORE_WORDS = guarded(r"\b(?:ignore|do nothing|skip|drop|no reply|don'?t (?:reply|answer))\b", re.I)


def learnable(actions: tuple[Action, ...], answer_text: str, *, sender: str = "") -> tuple[Action, ...]:
    """The subset of the resolved actions a learned rule may repeat on its own. A reply
    addressed to the correspondent (the reply target is filled in before the gate) is a
    reply to whoever the rule later matches; one to anybody else is not learnable."""
    out: list[Action] = []
    for action in actions:
        match action:
            case Reply() if not action.cc and set(action.to) <= {sender.lower()} - {""}:
                if action.text.strip() != answer_text.strip():
                    out.append(Reply(text=action.text))  # an option's prepared reply
                    continue
                text = reply_text(action.text)
                if text:
                    out.append(Reply(text=text))
                elif _IGNORE_WORDS.search(answer_text):  # "Always ignore these."
                    out.append(Ignore(reason="learned rule"))
                else:
                    return ()  # only an instruction, nothing to send: not learnable
            case File() | Forward():
                out.append(action)
            case Ignore() if not action.reason.startswith((CONFIRM, REJECT)):
                out.append(Ignore(reason="learned rule"))
            case _:
                return ()  # anything else needs judgment every time
    return tuple(out)


# ----- the conditions of a policy ------------------------------------------------------
_CURRENCY = {"€": "EUR", "$": "USD", "£": "GBP", "euro": "EUR", "euros": "EUR", "dollar": "USD"}
_CURRENCY.update({"dollars": "USD", "pound": "GBP", "pounds": "GBP", "eur": "EUR", "usd": "USD"})
_CURRENCY.update({"gbp": "GBP", "chf": "CHF"})
_CUR = r"€|\$|£|eur|usd|gbp|chf|euros?|dollars?|pounds?"
_UPPER = (
    r"under|below|less than|up to|at most|max(?:imum)?|no more than|not (?:over|above)|"
    r"unter|bis(?: zu)?|höchstens|weniger als|maximal|"
    r"moins de|jusqu'à|au plus|inférieur(?:e)? à|au-dessous de|en dessous de|maximum"
)
_LOWER = (
    r"over|above|more than|at least|exceeding|über|mehr als|mindestens|"
    r"plus de|au-dessus de|supérieur(?:e)? à|au moins"
)
_BOUND = guarded(
    rf"(?i)(?:(?P<up>{_UPPER})|(?P<low>{_LOWER}))\s*(?P<c1>{_CUR})?\s*"
    rf"(?P<n>\d{{1,3}}(?:[ ,.'’]\d{{3}})+|\d+)(?:[.,]\d{{1,2}})?\s*(?P<c2>{_CUR})?(?![\w])"
)
_CONDITION = guarded(
    r"(?i)\b(?:if|when|unless|except|provided|wenn|falls|sofern|außer|si|sauf|lorsque|quand)\b"
)
_OTHERWISE = guarded(
    r"(?i)[,;]?\s*\b(?:otherwise|else|if not|sonst|ansonsten|andernfalls|sinon|autrement)\b.*$"
)


def amount_condition(text: str) -> dict[str, object] | None:
    """``when.amount`` from the owner's words: "if under 500 EUR" -> ``{max: 500,
    currency: EUR}``; "over 1.000 €" -> ``{min: 1000, ...}``. None without a bound or
    without a currency (a bound in an unknown currency would be a guess)."""
    found: dict[str, object] = {}
    for match in _BOUND.finditer(_OTHERWISE.sub("", text)):
        currency = _CURRENCY.get((match["c1"] or match["c2"] or "").lower())
        if currency is None:
            return None
        if found.get("currency", currency) != currency:
            return None
        value = float(re.sub(r"[ ,.'’]", "", match["n"]))
        found["currency"] = currency
        found["max" if match["up"] else "min"] = value
    return found or None


def unreadable_condition(text: str) -> str:
    """A condition in a policy that code cannot check ("if they mention the project"),
    or "". Learning the rule without it would do more than the owner said."""
    body = _OTHERWISE.sub("", text)
    for match in _CONDITION.finditer(body):
        clause = re.split(r"[.!?;]|,\s", body[match.start() :], maxsplit=1)[0]
        if amount_condition(clause) is None:  # no bound, or a bound without a currency
            return clause.strip()
    return ""
