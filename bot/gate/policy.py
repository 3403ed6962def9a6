"""The deterministic policy gate: the agent proposes, the gate disposes.

Every proposed action is checked against the rule that allowed it, by code, with no
model involved. Text from email and chat is data: even a model that does exactly what
an injected email asks cannot get an action past these checks. Whatever is blocked
becomes one escalation that names the rule and the check that stopped it.

The checks assume the worst: the counterpart wrote part of the thread, so nothing the
thread contains (links, amounts, addresses) is trusted merely because it was seen there.
Only the rule, the owner and what Deputy itself already sent are trusted sources.

This module walks the actions and dispatches by kind; the checks live beside it:
``typed`` (commitments, offers), ``money`` (amounts in text), ``links`` and
``textscan`` (what text contains), ``tools``, ``calendar``; ``context`` is the data.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import assert_never

from bot.actions import (
    Action,
    Calendar,
    Commitment,
    Decision,
    Escalate,
    File,
    FollowUp,
    Forward,
    HandOff,
    Ignore,
    Notify,
    Offer,
    Remember,
    Reply,
    ToolCall,
    Webhook,
    action_name,
)
from bot.gate.calendar import calendar_problem
from bot.gate.context import GateContext, GateResult
from bot.gate.links import (
    address_keys,
    find_addresses,
    find_links,
    is_trusted,
    link_keys,
    trusted_link_keys,
)
from bot.gate.money import money_problem
from bot.gate.textscan import (  # noqa: F401  (re-exported: callers read text through the gate)
    HEADER_UNSAFE,
    addresses_in,
    amounts_in,
    authority_claim,
    bare_numbers_in,
    contains_snippet,
    is_address,
    links_in,
    money_in,
    outgoing_money,
)
from bot.gate.tools import tool_call_problem
from bot.gate.typed import commitments_problem, offer_problem
from bot.redact import SECRETS
from bot.rules.model import Rule
from bot.rules.payload_template import render as render_payload

MAX_FOLLOW_UP_HOURS = 24 * 90
MAX_TEXT_CHARS = 20_000


class PolicyGate:
    """Stateless: all facts come in through GateContext, so it is trivially testable."""

    def check(self, decision: Decision, ctx: GateContext) -> GateResult:
        allowed: list[Action] = []
        blocked: list[tuple[Action, str]] = []
        replies = ctx.replies_in_thread_24h
        offers = 0
        sent: Counter[str] = Counter()  # what this decision already sends, per recipient
        for action in decision.actions:
            reason = self._check_one(action, ctx, replies, offers, sent)
            if reason is None:
                allowed.append(action)
                if isinstance(action, Reply | Offer):
                    replies += 1
                    sent.update(_real_recipients(action, ctx))
                if isinstance(action, Offer):
                    offers += 1
            else:
                blocked.append((action, reason))
        return GateResult(allowed=tuple(allowed), blocked=tuple(blocked))

    def _check_one(
        self, action: Action, ctx: GateContext, replies: int, offers: int, sent: Counter[str]
    ) -> str | None:
        rule = ctx.rule
        match action:
            case Escalate() | Ignore() | Notify():
                return None  # asking, doing nothing and telling the owner are always safe
            case (
                Reply()
                | Offer()
                | Forward()
                | File()
                | FollowUp()
                | Remember()
                | Webhook()
                | ToolCall()
                | HandOff()
                | Calendar()
            ):
                pass
            case _:
                assert_never(action)
        if ctx.owner_authorized and action in ctx.owner_saw:
            return self._owner_action(action)
        if rule is None:
            return "no rule allows acting on this message"
        name = action_name(action)
        if name not in rule.may:
            return f"'{name}' is not in the rule's 'may' list"
        return _headers_safe(action) or self._by_kind(action, rule, ctx, replies, offers, sent)

    def _by_kind(
        self, action: Action, rule: Rule, ctx: GateContext, replies: int, offers: int, sent: Counter[str]
    ) -> str | None:
        match action:
            case Reply():
                return (
                    self._auto_submitted(action, rule)
                    or self._recipients(_real_recipients(action, ctx), ctx)
                    or self._budget(ctx, replies, _real_recipients(action, ctx), sent)
                    or self._content(action.text, ctx, commits=action.commits, outgoing=True)
                )
            case Offer():
                if offers:
                    return "only one offer per message"
                return (
                    self._recipients(_real_recipients(action, ctx), ctx)
                    or self._budget(ctx, replies, _real_recipients(action, ctx), sent)
                    or offer_problem(action, ctx)
                    or self._content(
                        action.text,
                        ctx,
                        offered=action.amount,
                        commits=action.commits,
                        final=action.final,
                        outgoing=True,
                    )
                )
            case Forward():
                spec_to = rule.header.forward.to if rule.header.forward else []
                allowed = {a.lower() for a in spec_to}
                outside = [a for a in action.to if a.strip().lower() not in allowed]
                if not action.to or outside:
                    return f"forward to {', '.join(outside) or '(nobody)'} is not in forward.to"
                return self._content(action.note, ctx, commits=action.commits, outgoing=True)
            case File():
                return _file(action, rule)
            case FollowUp():
                return self._follow_up(action, rule, ctx)
            case Remember():
                return self._remember(action, ctx)
            case Webhook():
                spec = rule.header.webhook
                if spec is None or action.url != spec.url:
                    return f"webhook {action.url!r} is not the rule's webhook.url"
                if spec.payload is not None and action.payload != render_payload(
                    spec.payload, ctx.event, rule=rule.name
                ):
                    return "the webhook payload is not the one the rule's webhook.payload declares"
                payload = json.dumps(action.payload, ensure_ascii=False, default=str)
                return self._foreign(payload, ctx)
            case ToolCall():
                arguments = json.dumps(action.arguments, ensure_ascii=False, default=str)
                return tool_call_problem(action, rule) or self._foreign(arguments, ctx)
            case HandOff():
                return self._hand_off(action, rule, ctx)
            case Calendar():
                return calendar_problem(
                    action,
                    rule,
                    event=ctx.event,
                    facts=ctx.facts,
                    ours=ctx.owner_addresses,
                    trusted_text=ctx.trusted_text,
                    participants=ctx.participants | {ctx.event.sender.lower()},
                )
            case Escalate() | Ignore() | Notify():
                return "unsupported action"
            case _:
                assert_never(action)

    def _owner_action(self, action: Action) -> str | None:
        """The owner approved it: only checks that protect the wire format remain."""
        if isinstance(action, Reply | Offer | Forward):
            text = action.note if isinstance(action, Forward) else action.text
            if "\x00" in text:
                return "text contains NUL"
        return _headers_safe(action)

    def _recipients(self, recipients: Iterable[str], ctx: GateContext) -> str | None:
        outside = [r for r in recipients if r.strip().lower() not in ctx.participants]
        if outside:
            named = ", ".join(outside)
            reply_to = ctx.event.headers.get("reply-to", "")
            if any(r.strip().lower() in reply_to.lower() for r in outside):
                return (
                    f"recipient {named} (the message's Reply-To, not its sender "
                    f"{ctx.event.sender}) is not part of this conversation"
                )
            return f"recipient {named} is not part of this conversation"
        return None

    def _auto_submitted(self, reply: Reply, rule: Rule) -> str | None:
        opted_out = rule.header.reply is not None and not rule.header.reply.auto_submitted
        if not reply.auto_submitted and not opted_out:
            return "replies under this rule must be marked Auto-Submitted"
        return None

    def _budget(
        self, ctx: GateContext, replies: int, recipients: tuple[str, ...], sent: Counter[str]
    ) -> str | None:
        """The thread's reply cap, and the send budget of every real recipient (not the
        sender's: a Reply-To or a Cc makes them differ)."""
        cap = ctx.replies_per_thread_cap
        if ctx.rule and ctx.rule.header.limits.replies_per_thread is not None:
            cap = ctx.rule.header.limits.replies_per_thread
        if replies >= cap:
            return f"reply cap reached ({cap} autonomous replies in this thread in 24 h)"
        for recipient in recipients:
            address = recipient.strip().lower()
            if address in ctx.unbudgeted:
                continue
            if ctx.sends_to_24h:
                count = ctx.sends_to_24h.get(address, 0)
            else:
                count = ctx.sends_to_correspondent_24h
            if count + sent[address] >= ctx.sends_per_correspondent_cap:
                return (
                    f"send budget reached ({ctx.sends_per_correspondent_cap} messages to {recipient} in 24 h)"
                )
        return None

    def _foreign(self, text: str, ctx: GateContext) -> str | None:
        if any(contains_snippet(text, s) for s in ctx.foreign_snippets):
            return "text contains content from another conversation"
        # A configured secret (an API key, a bot token) never leaves, however spaced.
        if any(contains_snippet(text, s) for s in SECRETS.values):
            return "text contains a configured secret"
        return None

    def _content(
        self,
        text: str,
        ctx: GateContext,
        *,
        offered: float | None = None,
        commits: tuple[Commitment, ...] = (),
        final: bool = False,
        outgoing: bool = False,
    ) -> str | None:
        """Outbound text: no new links or addresses, no foreign content, money bounded,
        and (for what leaves, ``outgoing``) every commitment typed and within the rule."""
        rule = ctx.rule
        assert rule is not None
        if len(text) > MAX_TEXT_CHARS:
            return f"text is longer than {MAX_TEXT_CHARS} characters"
        if "\x00" in text:
            return "text contains NUL"
        foreign = self._foreign(text, ctx)
        if foreign:
            return foreign
        rule_text = _rule_text(rule)
        links = self._links(text, rule_text, ctx)
        if links:
            return links
        known_addresses = (
            ctx.participants | ctx.owner_addresses | _addresses_of(rule_text) | addresses_in(ctx.trusted_text)
        )
        strangers = (
            find_addresses(text) - _address_keys_of(known_addresses) - _found_addresses(ctx.trusted_text)
        )
        if strangers:
            return f"address {sorted(strangers)[0]} in the text is not part of this conversation"
        return money_problem(text, rule, ctx, offered, commits) or (
            commitments_problem(text, rule, ctx, commits, final=final, offered=offered) if outgoing else None
        )

    def _links(self, text: str, rule_text: str, ctx: GateContext) -> str | None:
        """Links compared on normalised keys (registrable domain + path): a trusted link
        written another way still passes; a disguised one is found. Where links are
        allowed, a link that hides where it goes (look-alike host, shortener, IP
        literal, userinfo before the host) is still blocked unless trusted verbatim."""
        found = find_links(text)
        if not found:
            return None
        trusted = trusted_link_keys(rule_text) | link_keys(ctx.trusted_text)
        for link in found:
            if is_trusted(link, trusted):
                continue
            if link.risk:
                return f"link {link.raw} is not trusted: {link.risk}"
            if not ctx.rule or not ctx.rule.header.limits.allow_links:
                return f"link {link.raw} does not come from the rule or the owner"
        return None

    def _follow_up(self, action: FollowUp, rule: Rule, ctx: GateContext) -> str | None:
        if not 0 < action.after_hours <= MAX_FOLLOW_UP_HOURS:
            return f"follow-up delay must be between 0 and {MAX_FOLLOW_UP_HOURS} hours"
        spec = rule.header.follow_up
        if spec is not None and ctx.follow_ups_in_thread >= spec.max:
            return f"follow_up.max ({spec.max}) reached in this thread"
        return self._foreign(action.note, ctx)

    def _hand_off(self, action: HandOff, rule: Rule, ctx: GateContext) -> str | None:
        """A department hands work only where its rule says, and a chain of hand-offs
        stops at the cap (a loop between departments must end at the owner). The target
        then acts under its own rules: nothing here widens what it may do."""
        spec = rule.header.hand_off
        allowed = {t.lower() for t in spec.to} if spec else set()
        if action.to.lower() not in allowed:
            return f"hand-off to {action.to!r} is not in the rule's hand_off.to"
        chain = [d for d in ctx.event.refs.get("chain", "").split(">") if d]
        if len(chain) >= ctx.handoff_chain_cap:
            return f"this work already passed {len(chain)} departments (limits.handoff_chain)"
        if action.to.lower() in chain:
            return f"the work came from {action.to!r}: handing it back would loop"
        text = "\n".join((action.objective, *action.constraints, action.expected))
        return self._foreign(text, ctx)

    def _remember(self, action: Remember, ctx: GateContext) -> str | None:
        """Memory is read back into later prompts: keep it to plain facts about this
        conversation's people, never claims of authority or standing instructions."""
        subject = action.subject.strip().lower()
        if "@" in subject and subject not in ctx.participants:
            return f"memory about {action.subject!r}, who is not part of this conversation"
        claim = authority_claim(action.fact)
        if claim:
            return f"memory fact looks like an instruction or authority claim ({claim!r})"
        return self._foreign(action.fact, ctx) or self._content(action.fact, ctx)


def _real_recipients(action: Reply | Offer, ctx: GateContext) -> tuple[str, ...]:
    """Whom the message reaches: its addressees (resolved before the gate,
    bot/effects/reply_message.addressed), or the sender when it names nobody."""
    cc = action.cc if isinstance(action, Reply) else ()
    found = (*action.to, *cc) or ((ctx.event.sender,) if ctx.event.sender else ())
    return tuple(dict.fromkeys(a.strip().lower() for a in found))


def _file(action: File, rule: Rule) -> str | None:
    spec = rule.header.file
    if spec is None or action.folder != spec.folder:
        return f"folder {action.folder!r} is not the rule's file.folder"
    extra = set(action.flags) - set(spec.flags)
    if extra:
        return f"flag {sorted(extra)[0]!r} is not in the rule's file.flags"
    if action.save_attachments and not spec.save_attachments:
        return "the rule does not save attachments"
    return None


def _headers_safe(action: Action) -> str | None:
    """Everything that may end up in a header, a folder name or a URL: one line, no NUL."""
    fields: list[str] = []
    match action:
        case Reply():
            fields = [*action.to, *action.cc]
            bad = [a for a in fields if not is_address(a.strip())]
            if bad and not any(HEADER_UNSAFE.search(f) for f in fields):
                return f"recipient {bad[0]!r} is not a single plain address"
        case Forward():
            fields = list(action.to)
            bad = [a for a in fields if not is_address(a.strip())]
            if bad and not any(HEADER_UNSAFE.search(f) for f in fields):
                return f"recipient {bad[0]!r} is not a single plain address"
        case File():
            fields = [action.folder, *action.flags]
        case Webhook():
            fields = [action.url]
        case ToolCall():
            fields = [action.server, action.tool]
        case Calendar():
            fields = [action.channel, action.summary, action.start, action.end]
        case Remember():
            fields = [action.subject]
        case Offer():
            fields = [action.currency, *action.to]
            bad = [a for a in action.to if not is_address(a.strip())]
            if bad and not any(HEADER_UNSAFE.search(f) for f in fields):
                return f"recipient {bad[0]!r} is not a single plain address"
        case HandOff():
            fields = [action.to]
        case Escalate() | Ignore() | FollowUp() | Notify():
            fields = []
        case _:
            assert_never(action)
    if any(HEADER_UNSAFE.search(f) for f in fields):
        return "a header field contains a line break or NUL (header injection)"
    return None


def _rule_text(rule: Rule) -> str:
    """What the owner wrote in a rule: links and addresses in it are theirs to use."""
    template = rule.header.reply.template if rule.header.reply else None
    return "\n".join([template or "", rule.instructions])


# A rule's text is the same for every event it handles: scan it once (issue 3: these two
# regex scans of the rule's instructions were a fifth of the time spent per event).
@lru_cache(maxsize=256)
def _links_of(text: str) -> frozenset[str]:
    return frozenset(links_in(text))


@lru_cache(maxsize=256)
def _addresses_of(text: str) -> frozenset[str]:
    return addresses_in(text)


@lru_cache(maxsize=256)
def _address_keys_of(addresses: frozenset[str]) -> frozenset[str]:
    return address_keys(addresses)


@lru_cache(maxsize=256)
def _found_addresses(text: str) -> frozenset[str]:
    return find_addresses(text)
