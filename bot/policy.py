"""The deterministic policy gate: the agent proposes, the gate disposes.

Every proposed action is checked against the rule that allowed it, by code, with no
model involved. Text from email and chat is data: even a model that does exactly what
an injected email asks cannot get an action past these checks. Whatever is blocked
becomes one escalation that names the rule and the check that stopped it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.actions import (
    action_name,
    Action,
    Decision,
    Escalate,
    File,
    FollowUp,
    Forward,
    Ignore,
    Notify,
    Offer,
    Remember,
    Reply,
    Webhook,
)
from bot.events import Event
from bot.rules.model import Rule

URL_RE = re.compile(r"""(?i)\b(?:https?://|www\.)[^\s<>"')\]]+""")
_CUR = r"(?:€|\$|£|EUR|USD|GBP|CHF|JPY|CAD|AUD)"
_NUM = r"\d{1,3}(?:[ ,.'’]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
AMOUNT_RE = re.compile(rf"(?i)(?:{_CUR}\s?(?P<a>{_NUM}))|(?:(?P<b>{_NUM})\s?{_CUR}(?![a-z]))")
HEADER_UNSAFE = re.compile(r"[\r\n\x00]")


def amounts_in(text: str) -> list[float]:
    """Money amounts written in a text, with a currency sign or code next to them."""
    found = []
    for match in AMOUNT_RE.finditer(text):
        raw = (match["a"] or match["b"] or "").replace(" ", "").replace("'", "").replace("’", "")
        # "1.234,56" / "1,234.56" / "450" / "450,00": the last separator followed by
        # two digits is the decimal mark; the others group thousands.
        m = re.fullmatch(r"(.*?)[.,](\d{1,2})", raw)
        whole, cents = (m[1], m[2]) if m else (raw, "0")
        whole = re.sub(r"[.,]", "", whole)
        try:
            found.append(float(f"{whole}.{cents}"))
        except ValueError:
            continue
    return found


def links_in(text: str) -> set[str]:
    return {u.rstrip(".,;:!?").lower() for u in URL_RE.findall(text)}


@dataclass(frozen=True, slots=True, kw_only=True)
class GateContext:
    """What the gate knows about the situation, gathered from the store by the worker."""

    event: Event
    rule: Rule | None
    participants: frozenset[str]  # everyone in this thread so far (lower-cased)
    thread_text: str = ""  # all text seen in this thread: links/amounts there are not new
    replies_in_thread_24h: int = 0
    sends_to_correspondent_24h: int = 0
    replies_per_thread_cap: int = 3
    sends_per_correspondent_cap: int = 10
    owner_authorized: bool = False  # the owner approved these actions explicitly
    owner_addresses: frozenset[str] = frozenset()
    negotiation_rounds: int = 0  # offers we already made in this thread
    # Text that must never leave in this thread (other threads' canaries / content).
    foreign_snippets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class GateResult:
    allowed: tuple[Action, ...]
    blocked: tuple[tuple[Action, str], ...] = field(default_factory=tuple)

    def escalation(self, decision: Decision) -> Escalate | None:
        if not self.blocked:
            return None
        rule = decision.rule or "(no rule)"
        why = "; ".join(reason for _, reason in self.blocked)
        return Escalate(
            question=f"I wanted to act but rule '{rule}' does not allow it: {why}. What should I do?",
            reason=why,
            options=("Do it anyway", "Do nothing"),
            option_actions=(tuple(a for a, _ in self.blocked), (Ignore(reason="owner declined"),)),
            default_option=1,
            blocked_by=rule,
        )


class PolicyGate:
    """Stateless: all facts come in through GateContext, so it is trivially testable."""

    def check(self, decision: Decision, ctx: GateContext) -> GateResult:
        allowed: list[Action] = []
        blocked: list[tuple[Action, str]] = []
        replies = ctx.replies_in_thread_24h
        for action in decision.actions:
            reason = self._check_one(action, ctx, replies)
            if reason is None:
                allowed.append(action)
                if isinstance(action, Reply | Offer):
                    replies += 1
            else:
                blocked.append((action, reason))
        return GateResult(allowed=tuple(allowed), blocked=tuple(blocked))

    def _check_one(self, action: Action, ctx: GateContext, replies: int) -> str | None:
        rule = ctx.rule
        match action:
            case Escalate() | Ignore() | Notify():
                return None  # asking, doing nothing and telling the owner are always safe
            case _ if ctx.owner_authorized:
                return self._owner_action(action)
            case _ if rule is None:
                return "no rule allows acting on this message"
            case _:
                pass
        name = action_name(action)
        if name not in rule.may:
            return f"'{name}' is not in the rule's 'may' list"
        match action:
            case Reply():
                return (
                    self._recipients(action.to + action.cc, ctx)
                    or self._budget(ctx, replies)
                    or self._content(action.text, ctx)
                )
            case Offer():
                return (
                    self._budget(ctx, replies)
                    or self._offer(action, ctx)
                    or self._content(action.text, ctx, offered=action.amount)
                )
            case Forward():
                allowed = {a.lower() for a in (rule.header.forward.to if rule.header.forward else [])}
                outside = [a for a in action.to if a.lower() not in allowed]
                if not action.to or outside:
                    return f"forward to {', '.join(outside) or '(nobody)'} is not in forward.to"
                return self._content(action.note, ctx)
            case File():
                spec = rule.header.file
                if spec is None or action.folder != spec.folder:
                    return f"folder {action.folder!r} is not the rule's file.folder"
                return None
            case FollowUp():
                return None if action.after_hours > 0 else "follow-up delay must be positive"
            case Remember():
                return None
            case Webhook():
                spec = rule.header.webhook
                if spec is None or action.url != spec.url:
                    return f"webhook {action.url!r} is not the rule's webhook.url"
                return None
            case _:
                return "unsupported action"

    def _owner_action(self, action: Action) -> str | None:
        if isinstance(action, Reply | Offer | Forward):
            text = action.note if isinstance(action, Forward) else action.text
            if "\x00" in text:
                return "text contains NUL"
        return None

    def _recipients(self, recipients: Iterable[str], ctx: GateContext) -> str | None:
        outside = [r for r in recipients if r.lower() not in ctx.participants]
        if outside:
            return f"recipient {', '.join(outside)} is not part of this conversation"
        return None

    def _budget(self, ctx: GateContext, replies: int) -> str | None:
        cap = ctx.replies_per_thread_cap
        if ctx.rule and ctx.rule.header.limits.replies_per_thread is not None:
            cap = ctx.rule.header.limits.replies_per_thread
        if replies >= cap:
            return f"reply cap reached ({cap} autonomous replies in this thread in 24 h)"
        if ctx.sends_to_correspondent_24h >= ctx.sends_per_correspondent_cap:
            return (
                f"send budget reached ({ctx.sends_per_correspondent_cap} messages to "
                f"{ctx.event.sender} in 24 h)"
            )
        return None

    def _content(self, text: str, ctx: GateContext, *, offered: float | None = None) -> str | None:
        rule = ctx.rule
        assert rule is not None
        known = ctx.thread_text + "\n" + (rule.header.reply.template or "" if rule.header.reply else "")
        if not rule.header.limits.allow_links:
            new_links = links_in(text) - links_in(known)
            if new_links:
                return f"link {sorted(new_links)[0]} does not appear in this conversation"
        for snippet in ctx.foreign_snippets:
            if snippet and snippet in text:
                return "text contains content from another conversation"
        known_amounts = set(amounts_in(known))
        limit = rule.header.limits.amount
        mandate = rule.mandate
        for amount in amounts_in(text):
            if amount in known_amounts or (offered is not None and amount == offered):
                continue
            if mandate is not None and mandate.acceptable(amount):
                continue
            if limit is None:
                return f"amount {amount:g} is not covered by any limit of the rule"
            if amount > limit.max:
                return f"amount {amount:g} exceeds the limit of {limit.max:g} {limit.currency}"
        return None

    def _offer(self, offer: Offer, ctx: GateContext) -> str | None:
        mandate = ctx.rule.mandate if ctx.rule else None
        if mandate is None:
            return "the rule has no mandate for offers"
        if offer.currency.upper() != mandate.currency.upper():
            return f"offer in {offer.currency}, mandate is in {mandate.currency}"
        if not mandate.acceptable(offer.amount):
            return (
                f"offer {offer.amount:g} {offer.currency} is beyond the walk-away point "
                f"{mandate.walk_away:g} {mandate.currency}"
            )
        if ctx.negotiation_rounds >= mandate.max_rounds:
            return f"the mandate allows {mandate.max_rounds} rounds; they are used up"
        return None
