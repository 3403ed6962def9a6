"""The executor turns allowed actions into outbox rows inside the caller's transaction:
keys are deterministic (a replay after a crash adds nothing), a reply threads to the
message it answers (RFC 5322 3.6.4), and nothing is written if the transaction rolls
back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.actions import File, Reply
from bot.owner import OwnerProfile
from tests.core.helpers import mail
from tests.unit.desk_parts import parts

OWNER = OwnerProfile(emails=("alex@example.com",))


async def rows(store) -> list[dict]:  # type: ignore[no-untyped-def]
    found = await store.db.fetchall("SELECT key, connector, op, payload, recipient FROM outbox ORDER BY seq")
    return [{**dict(r), "payload": json.loads(r["payload"])} for r in found]


async def test_actions_become_keyed_rows_and_a_replay_adds_nothing(tmp_path: Path) -> None:
    event = mail(sender="ap@acme-supplies.com", subject="Invoice 9")
    actions = (File(folder="Invoices"), Reply(text="Thanks, it will be paid this week."))
    async with parts(tmp_path) as p:
        for _ in range(2):  # the second run is the replay after a crash
            async with p.store.db.transaction() as tx:
                applied = await p.deps.executor.apply_in(
                    tx,
                    event=event,
                    actions=actions,
                    key_prefix=event.id,
                    rule="invoices",
                    owner=OWNER,
                    autonomous=True,
                )
        written = await rows(p.store)
    assert [r["key"] for r in written] == [f"{event.id}:0:file", f"{event.id}:1:reply"]
    assert [r["op"] for r in written] == ["file", "send"]
    assert len(applied.descriptions) == 2
    reply = written[1]
    assert reply["recipient"] == "ap@acme-supplies.com"
    assert reply["payload"]["to"] == ["ap@acme-supplies.com"]
    assert reply["payload"]["subject"] == "Re: Invoice 9"
    assert reply["payload"]["in_reply_to"] == event.refs["message_id"]
    assert reply["payload"]["message_id"].startswith("<deputy.")


async def test_nothing_is_written_when_the_transaction_fails(tmp_path: Path) -> None:
    event = mail(sender="ap@acme-supplies.com", subject="Invoice 10")
    async with parts(tmp_path) as p:
        with pytest.raises(RuntimeError):
            async with p.store.db.transaction() as tx:
                await p.deps.executor.apply_in(
                    tx,
                    event=event,
                    actions=(Reply(text="Paid."),),
                    key_prefix=event.id,
                    rule="invoices",
                    owner=OWNER,
                    autonomous=True,
                )
                raise RuntimeError("the finishing step failed")
        assert await rows(p.store) == []
