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

import json
import logging
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.actions import (
    Action,
    Escalate,
    File,
    Forward,
    Ignore,
    Reply,
    action_from_dict,
    action_to_dict,
)
from bot.events import Event
from bot.lesson import CONFIRM, REJECT, derive_scope, learnable, parse_expiry, wants_learning
from bot.rules.model import FileSpec, ForwardSpec, ReplySpec, Rule, RuleHeader, When

if TYPE_CHECKING:
    from bot.executor import Executor
    from bot.owner import OwnerProfile
    from bot.store import Escalation, Store

log = logging.getLogger("deputy.learned")

_YES = re.compile(r"^\s*(?:1|yes|y|ok|okay|confirm|learn it|yes,? learn it)[.!]?\s*$", re.I)
_NO = re.compile(r"^\s*(?:2|no|n|don'?t|reject|cancel)[.!]?\s*$", re.I)
_STATES = ("proposed", "active", "rejected", "rolled_back")


@dataclass(frozen=True, slots=True, kw_only=True)
class LearnedRule:
    id: int
    escalation_id: int
    answer: str
    scope: str
    channel: str
    actions: tuple[Action, ...]
    expires: str | None
    state: str
    confirm_escalation_id: int | None
    created_at: float
    updated_at: float

    @property
    def name(self) -> str:
        return f"learned-{self.id}"

    def expired(self, today: date) -> bool:
        return self.expires is not None and today.isoformat() > self.expires

    def describe(self) -> str:
        return "; ".join(_describe(a) for a in self.actions)


def _describe(action: Action) -> str:
    match action:
        case Reply():
            return f'reply "{action.text[:80]}"'
        case File():
            return f"file into {action.folder}"
        case Forward():
            return f"forward to {', '.join(action.to)}"
        case Ignore():
            return "ignore"
        case _:
            return type(action).__name__.lower()


def _record(row: sqlite3.Row) -> LearnedRule:
    return LearnedRule(
        id=row["id"],
        escalation_id=row["escalation_id"],
        answer=row["answer"],
        scope=row["scope"],
        channel=row["channel"],
        actions=tuple(action_from_dict(a) for a in json.loads(row["actions"])),
        expires=row["expires"],
        state=row["state"],
        confirm_escalation_id=row["confirm_escalation_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


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
            {"from": [record.scope], "channel": [record.channel] if record.channel else []}
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
    tx: aiosqlite.Connection,
    *,
    escalation: Escalation,
    answer_text: str,
    actions: tuple[Action, ...],
    executor: Executor | None = None,
    owner: OwnerProfile | None = None,
) -> int | None:
    """Called in the transaction that applied an owner's winning answer.

    - An answer to a "learn this?" question confirms or declines that proposal.
    - An answer saying "always"/"from now on" proposes a learned rule (state
      ``proposed``) and, given ``executor`` and ``owner``, asks the owner to confirm.
    Returns the id of a new proposal, else None. Idempotent per escalation."""
    if await _answer_to_confirmation(tx, escalation, answer_text, actions):
        return None
    if not wants_learning(answer_text):
        return None
    learned = learnable(tuple(actions), answer_text)
    scope = derive_scope(escalation.event, answer_text)
    if not learned or not scope or "@" not in scope:
        return None
    now = time.time()
    today = datetime.now(UTC).date()
    cur = await tx.execute(
        "INSERT OR IGNORE INTO learned_rules (escalation_id, answer, scope, channel, actions, expires,"
        " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
        (
            escalation.id,
            answer_text[:4000],
            scope,
            escalation.event.channel,
            json.dumps([action_to_dict(a) for a in learned]),
            parse_expiry(answer_text, today=today),
            now,
            now,
        ),
    )
    if cur.rowcount != 1:
        return None
    rule_id = int(cur.lastrowid or 0)
    if executor is not None and owner is not None:
        record = await _get_in(tx, rule_id)
        assert record is not None
        question = confirmation_question(record)
        applied = await executor.apply_in(
            tx,
            event=_confirmation_event(rule_id, escalation.event),
            actions=(
                Escalate(
                    question=question,
                    reason="learned rule proposed",
                    options=("Yes, learn it", "No"),
                    option_actions=(
                        (Ignore(reason=f"{CONFIRM}{rule_id}"),),
                        (Ignore(reason=f"{REJECT}{rule_id}"),),
                    ),
                    default_option=1,  # silence never turns a rule on
                ),
            ),
            key_prefix=f"learned:{rule_id}",
            rule="",
            owner=owner,
            autonomous=False,
        )
        if applied.escalation_ids:
            await tx.execute(
                "UPDATE learned_rules SET confirm_escalation_id=? WHERE id=?",
                (applied.escalation_ids[0], rule_id),
            )
    return rule_id


def confirmation_question(record: LearnedRule) -> str:
    until = f" until {record.expires}" if record.expires else ""
    return (
        f"Learn rule #{record.id}? For mail from {record.scope}{until}: {record.describe()}, "
        f"without asking you. Source: your answer to #{record.escalation_id} "
        f'("{record.answer[:200]}"). Answer 1 to confirm or 2 to decline; '
        f"later: deputy rules rollback {record.id}"
    )


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
    tx: aiosqlite.Connection, escalation: Escalation, answer_text: str, actions: tuple[Action, ...]
) -> bool:
    cur = await tx.execute(
        "SELECT id FROM learned_rules WHERE confirm_escalation_id=?", (escalation.id,)
    )
    row = await cur.fetchone()
    if row is None:
        return False
    rule_id = int(row[0])
    reasons = {a.reason for a in actions if isinstance(a, Ignore)}
    if f"{CONFIRM}{rule_id}" in reasons or _YES.match(answer_text):
        await _set_state_in(tx, rule_id, "active", allowed=("proposed",))
    elif f"{REJECT}{rule_id}" in reasons or _NO.match(answer_text):
        await _set_state_in(tx, rule_id, "rejected", allowed=("proposed",))
    return True


# ----- state changes ---------------------------------------------------------------------
async def _get_in(tx: aiosqlite.Connection, rule_id: int) -> LearnedRule | None:
    cur = await tx.execute("SELECT * FROM learned_rules WHERE id=?", (rule_id,))
    row = await cur.fetchone()
    return _record(row) if row else None


async def _set_state_in(
    tx: aiosqlite.Connection, rule_id: int, state: str, *, allowed: tuple[str, ...]
) -> bool:
    assert state in _STATES
    marks = ",".join("?" * len(allowed))
    cur = await tx.execute(
        f"UPDATE learned_rules SET state=?, updated_at=? WHERE id=? AND state IN ({marks})",
        (state, time.time(), rule_id, *allowed),
    )
    return cur.rowcount == 1


async def _close_confirmation_in(tx: aiosqlite.Connection, record: LearnedRule, how: str) -> None:
    if record.confirm_escalation_id is None:
        return
    from bot.store import Escalations, Timers

    await Escalations.close_in(
        tx, record.confirm_escalation_id, state="answered", answer=how, via="cli"
    )
    await Timers.cancel_in(tx, key_prefix=f"esc-deadline:{record.confirm_escalation_id}")
    await Timers.cancel_in(tx, key_prefix=f"esc-remind:{record.confirm_escalation_id}:")


async def confirm(store: Store, rule_id: int) -> tuple[bool, str]:
    """Activate a proposed (or rolled-back) learned rule. Returns (changed, message)."""
    async with store.db.transaction() as tx:
        record = await _get_in(tx, rule_id)
        if record is None:
            return False, f"no learned rule #{rule_id}"
        if not await _set_state_in(tx, rule_id, "active", allowed=("proposed", "rolled_back")):
            return False, f"learned rule #{rule_id} is {record.state}"
        await _close_confirmation_in(tx, record, "confirmed from the command line")
    return True, f"learned rule #{rule_id} is active: mail from {record.scope}: {record.describe()}"


async def rollback(store: Store, rule_id: int) -> tuple[bool, str]:
    """Deactivate a learned rule (active or still proposed)."""
    async with store.db.transaction() as tx:
        record = await _get_in(tx, rule_id)
        if record is None:
            return False, f"no learned rule #{rule_id}"
        if not await _set_state_in(tx, rule_id, "rolled_back", allowed=("active", "proposed")):
            return False, f"learned rule #{rule_id} is {record.state}"
        await _close_confirmation_in(tx, record, "rolled back from the command line")
    return True, f"learned rule #{rule_id} rolled back: I will ask again about mail from {record.scope}"


async def records(store: Store) -> list[LearnedRule]:
    rows = await store.db.fetchall("SELECT * FROM learned_rules ORDER BY id")
    return [_record(r) for r in rows]


async def active_rules(store: Store) -> tuple[Rule, ...]:
    rows = await store.db.fetchall("SELECT * FROM learned_rules WHERE state='active' ORDER BY id")
    return rules_from([_record(r) for r in rows])


# ----- sync access for RulebookSource (runs in the rulebook getter, no event loop) ----------
def _read_sync(db_path: Path, sql: str) -> list[sqlite3.Row]:
    if not db_path.exists():
        return []
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return list(conn.execute(sql).fetchall())
    except sqlite3.OperationalError as exc:  # not migrated yet
        log.debug("learned rules not readable yet: %s", exc)
        return []
    finally:
        conn.close()


def load_active_rules(db_path: Path) -> tuple[Rule, ...]:
    rows = _read_sync(db_path, "SELECT * FROM learned_rules WHERE state='active' ORDER BY id")
    return rules_from([_record(r) for r in rows])


def fingerprint(db_path: Path) -> tuple[Any, ...]:
    """Changes whenever a learned rule changes state; cheap enough to poll."""
    rows = _read_sync(db_path, "SELECT COUNT(*), MAX(updated_at), SUM(id) FROM learned_rules")
    return tuple(rows[0]) if rows else ()
