"""The morning digest: what Deputy did, what waits for the owner, what comes next.

Built only from the store (audit log, escalations, timers, tasks, the facts of the
messages received), so a preview (`deputy digest`) shows exactly what the scheduled one
will send.
"""

from __future__ import annotations

import html
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.departments.handoff import is_handoff_line
from bot.desks.digest_autonomy import autonomy_sections
from bot.facts import Facts
from bot.owner import OwnerProfile
from bot.store import Store


@dataclass(frozen=True, slots=True)
class Digest:
    text: str
    html: str
    subject: str
    # Nothing done, nothing waiting, nothing scheduled: a digest that says only
    # "Nothing." is noise (and on the first start, all there is), so it is not sent.
    empty: bool = False


async def build_digest(
    store: Store, *, owner: OwnerProfile, since: float, prices_per_mtok: tuple[float, float] = (0.0, 0.0)
) -> Digest:
    tz = ZoneInfo(owner.timezone)
    entries = await store.audit.recent(limit=500, since=since)
    pending = await store.escalations.open()
    timers = [t for t in await store.timers.pending() if t.kind == "follow_up"]
    closed = [e for e in await store.escalations.recent(since=since) if e.state == "defaulted"]
    quarantined = await store.inbox.quarantined(since=since)
    outcomes = Counter(e.outcome for e in entries)
    tokens_in = sum(e.tokens_in for e in entries)
    tokens_out = sum(e.tokens_out for e in entries)
    calls = sum(e.llm_calls for e in entries)
    day = datetime.fromtimestamp(time.time(), tz).strftime("%A %d %B %Y")
    sections: list[tuple[str, list[str]]] = []
    done = [
        f"{_when(e.at, tz)} {e.sender or e.channel}: {e.subject or '(no subject)'} -> "
        f"{'; '.join(e.actions) or e.outcome}" + (f" [rule {e.rule}]" if e.rule else "")
        for e in entries
        if e.outcome in ("handled", "answered") and e.actions
    ]
    sections.append(("What I did", done or ["Nothing."]))
    moved = [
        f"{_when(e.at, tz)} {line.splitlines()[0][:300]}" + (f" [rule {e.rule}]" if e.rule else "")
        for e in entries
        for line in (*e.actions, *e.reasons)
        if is_handoff_line(line)
    ]
    if moved:
        sections.append(("Hand-offs between departments", moved))
    sections.append(
        (
            "Waiting for you",
            [f"#{e.id} {e.question} (since {_when(e.created_at, tz)})" for e in pending] or ["Nothing."],
        )
    )
    if closed:
        sections.append(
            (
                "No answer in time: I applied the safe default",
                [f"#{e.id} {e.question} -> {e.answer}" for e in closed],
            )
        )
    sections.append(
        (
            "Follow-ups scheduled",
            [f"{_when(t.due_at, tz)} {t.payload.get('thread', '')}" for t in timers] or ["None."],
        )
    )
    # ----- tasks (issue 7) -----
    tasks = [t for t in await store.tasks.all() if t.state not in ("done", "failed") or t.updated_at >= since]
    if tasks:
        sections.append(("Tasks", [t.status_line(tz) for t in tasks]))
    if quarantined:
        sections.append(("Could not process", [f"{event_id}: {error}" for event_id, error in quarantined]))
    summary = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "no activity"
    filed = await store.outbox.filed(since=since)
    if filed:
        sections.append(
            (
                "Filed (undo with 'undo N' in any of your channels)",
                [f"#{seq} into {payload.get('folder', '?')}" for seq, payload in filed],
            )
        )
    autonomy = await autonomy_sections(store, entries, tz)
    sections += autonomy
    money = await _money(store, since=since)
    if money:
        sections.append(("Money and commitments", money))
    cost = (tokens_in * prices_per_mtok[0] + tokens_out * prices_per_mtok[1]) / 1_000_000
    spend = f"LLM: {calls} calls, {tokens_in} tokens in, {tokens_out} out" + (
        f", about {cost:.2f} in your configured prices" if any(prices_per_mtok) else ""
    )
    sections.append(("Numbers", [summary, spend]))
    text_lines = [f"Deputy digest for {owner.name}, {day}", ""]
    html_parts = [f"<h2>Deputy digest for {html.escape(owner.name)}, {html.escape(day)}</h2>"]
    for title, lines in sections:
        text_lines += [title, *(f"  - {line}" for line in lines), ""]
        html_parts.append(f"<h3>{html.escape(title)}</h3><ul>")
        html_parts += [f"<li>{html.escape(line)}</li>" for line in lines]
        html_parts.append("</ul>")
    empty = not (entries or pending or closed or timers or tasks or quarantined or filed or money or autonomy)
    return Digest(
        text="\n".join(text_lines).strip() + "\n",
        html="<html><body>" + "".join(html_parts) + "</body></html>",
        subject=f"Deputy digest, {day}",
        empty=empty,
    )


def _invoice_line(sender: str, facts: Facts) -> str:
    """One invoice received: what it asks to be paid, by when, and whether the payment
    details changed (the fraud to catch at a glance). A message that offers a price or
    asks for no amount is no invoice."""
    due = next((a for a in facts.amounts if a.role in ("due", "total")), None)
    if facts.offer is not None or (due is None and facts.due_date is None):
        return ""
    due = facts.amount_due or due
    amount = f"{due.value} {due.currency}".strip() if due is not None else "no amount read"
    when = f", due {facts.due_date.isoformat()}" if facts.due_date else ""
    details = {True: "payment details CHANGED", False: "payment details as on file", None: ""}[
        facts.payment.changed
    ]
    if facts.payment.announces_change and not facts.payment.changed:
        details = "announces new payment details"
    refs = f" ({', '.join(facts.references[:2])})" if facts.references else ""
    return f"invoice from {sender}{refs}: {amount}{when}" + (f"; {details}" if details else "")


def _when(at: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(at, tz).strftime("%d %b %H:%M")


async def _money(store: Store, *, since: float) -> list[str]:
    """Invoices received (their facts), offers made and received (negotiations) and
    amounts named in what Deputy sent."""
    from bot.gate.textscan import amounts_in

    received = await store.message_facts.since(since)
    lines = [line for _, sender, facts, _ in received if (line := _invoice_line(sender, facts))]
    for thread, state in await store.negotiations.changed_since(since):
        ours = ", ".join(f"{a:g}" for a in state.get("our_offers", [])) or "none"
        theirs = ", ".join(f"{a:g}" for a in state.get("their_offers", [])) or "none"
        status = "deal closed" if state.get("closed") else f"round {state.get('rounds', 0)}"
        lines.append(f"{thread}: we offered {ours}; they offered {theirs} ({status})")
    for recipient, payload in await store.outbox.autonomous_sends(since=since):
        text = str(payload.get("text", ""))
        amounts = amounts_in(text)
        if amounts:
            lines.append(f"to {recipient}: named {', '.join(f'{a:g}' for a in amounts)}")
    return lines
