"""Runs the outcome corpus through the real daemon in-process: every message is parsed
by the email connector's own parser (``parse_message``, as the local SMTP inbox does)
and emitted into a ``Deputy`` on a copy of the shipped rulebook, with a recording
channel at the edge. What came of each message is then read back from the store, the
way ``deputy log`` and ``deputy inbox`` read it: the audit entry (outcome, rule), the
outbox rows (reply, forward, file) and the open questions.

One daemon for the whole corpus keeps it well under a minute; every case has its own
correspondent and thread, so no case can borrow another's history (reply caps, payment
details on file) except through its declared ``before`` mail."""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.app import Deputy
from bot.config import load
from bot.events import Event
from bot.facts import Facts, extract
from bot.owner import OwnerProfile
from connectors.email.parse import parse_message
from tests.core.conftest import RecordingChannel, make_home
from tests.corpus.build import Case, Effect

RECEIVED = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
OWN = ("deputy@localhost",)
OWNER = OwnerProfile(emails=("alex@example.com",))


@dataclass(frozen=True)
class Outcome:
    """What Deputy did with one message, as seen from outside."""

    rule: str
    audit: str  # the audit entry's outcome: handled, escalated, ignored ...
    does: frozenset[Effect]
    facts: Facts | None
    actions: tuple[str, ...]
    reasons: tuple[str, ...]
    replies: tuple[str, ...]  # the text of each reply sent to the correspondent


def parse(raw: bytes, name: str) -> Event:
    """The local inbox's parse, verbatim: the email connector's parser with the local
    channel's refs."""
    result = parse_message(
        raw,
        connector="local",
        own_addresses=OWN,
        owner=OWNER,
        received_at=RECEIVED,
        extra_refs={"path": f"INBOX/{name}.eml", "channel_type": "local", "envelope_to": OWN[0]},
    )
    assert result.event is not None, f"{name}: {result.quarantine_reason}"
    return result.event


async def _run(cases: list[Case], home: Path) -> dict[str, Outcome]:
    cfg = make_home(home)
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    try:
        for c in cases:
            for n, raw in enumerate(c.before):
                await deputy.emit(parse(raw, f"{c.name}-before-{n}"))
        await deputy.drain()
        events = {c.name: parse(c.raw, c.name) for c in cases}
        for c in cases:
            await deputy.emit(events[c.name])
        await deputy.drain()
        return {c.name: await _outcome(deputy, events[c.name]) for c in cases}
    finally:
        await asyncio.wait_for(deputy.stop(), 30)


async def _outcome(deputy: Deputy, event: Event) -> Outcome:
    db = deputy.store.db
    audit = await db.fetchall("SELECT * FROM audit WHERE event_id=? ORDER BY id", (event.id,))
    rows = await db.fetchall("SELECT * FROM outbox WHERE event_id=? ORDER BY seq", (event.id,))
    asked = await db.fetchall("SELECT id FROM escalations WHERE event_id=?", (event.id,))
    does: set[Effect] = set()
    replies: list[str] = []
    for row in rows:
        if row["connector"] != "local":
            continue  # the question's prompt to the owner (cli)
        if row["op"] == "file":
            does.add("file")
        elif str(row["thread"]).startswith("fwd:"):
            does.add("forward")
        elif row["op"] == "send":
            does.add("reply")
            replies.append(str(json.loads(row["payload"]).get("text", "")))
    if asked:
        does.add("ask")
    first = audit[0] if audit else None
    return Outcome(
        rule=str(first["rule"]) if first else "",
        audit=str(first["outcome"]) if first else "(none)",
        does=frozenset(does),
        # Automatic mail that no rule covers is kept without a judgment, so without
        # stored facts: read them as the router would (the store's part aside).
        facts=await deputy.store.message_facts.get(event.id) or extract(event, today=RECEIVED.date()),
        actions=tuple(json.loads(first["actions"])) if first else (),
        reasons=tuple(json.loads(first["reasons"])) if first else (),
        replies=tuple(replies),
    )


def run_corpus(cases: list[Case]) -> dict[str, Outcome]:
    """Every case's outcome, from one in-process daemon in a throw-away home."""
    with tempfile.TemporaryDirectory(prefix="deputy-corpus-") as tmp:
        return asyncio.run(_run(cases, Path(tmp)))
