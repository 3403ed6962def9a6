"""A subset of the outcome corpus over real SMTP into the real daemon (a subprocess on
the shipped rulebook), read back from outside: the outbox Maildir, the filed mail, the
database, and the ``deputy inbox`` and ``deputy log`` commands. This proves the
in-process run (test_outcomes.py) and the daemon as installed agree."""

from __future__ import annotations

import json
import smtplib

from tests.corpus.build import Case
from tests.corpus.messages import CASES
from tests.e2e.conftest import Home, deputy, home, wait_until  # noqa: F401  (fixtures)

SUBSET = (
    "inv-small-en",
    "fraud-4800-en",
    "inv-pdf-small",
    "inv-usd-small",
    "ooo-en-header",
    "receipt-en",
    "news-weekly",
    "meet-en",
    "other-partnership",
    "invite-google",
)
FOLDERS = {"invoices": "Invoices", "newsletters": "Newsletters", "receipts": "Receipts"}
DEADLINE = 60.0


def _cases() -> list[Case]:
    by_name = {c.name: c for c in CASES}
    return [by_name[n] for n in SUBSET]


def _effects(daemon: Home, case: Case) -> frozenset[str]:
    event_id = f"local:{case.message_id}"
    does: set[str] = set()
    for row in daemon.query("SELECT connector, op, thread FROM outbox WHERE event_id=?", (event_id,)):
        if row["connector"] != "local":
            continue
        if row["op"] == "file":
            does.add("file")
        else:
            does.add("forward" if str(row["thread"]).startswith("fwd:") else "reply")
    if daemon.query("SELECT 1 FROM escalations WHERE event_id=?", (event_id,)):
        does.add("ask")
    return frozenset(does)


def test_subset_over_smtp(deputy: Home) -> None:  # noqa: F811  (the fixture)
    cases = _cases()
    with smtplib.SMTP("127.0.0.1", deputy.port, timeout=30) as smtp:
        for c in cases:
            smtp.sendmail("sender@corpus.test", ["deputy@localhost"], c.raw)
    wait_until(
        lambda: (
            len(deputy.query("SELECT 1 FROM audit WHERE event_id LIKE 'local:<%@corpus.test>'")) >= len(cases)
        ),
        timeout=DEADLINE,
    )
    wait_until(deputy.drained, timeout=DEADLINE)
    for c in cases:
        rows = deputy.query("SELECT rule, outcome FROM audit WHERE event_id=?", (f"local:{c.message_id}",))
        assert rows, c.name
        assert (rows[0]["rule"], _effects(deputy, c)) == (c.rule, c.does), c.name
        replies = deputy.replies_to(c.message_id)
        assert len(replies) == (1 if "reply" in c.does else 0), c.name
        for reply in replies:
            assert reply["Auto-Submitted"] == "auto-replied"
            if "ask" in c.does:
                assert "paid" not in reply.get_content()
        if "file" in c.does:
            folder = deputy.mail / FOLDERS[c.rule]
            assert any(c.message_id.encode() in p.read_bytes() for p in folder.glob("*.eml")), c.name
    forwards = [m for m in deputy.outbox() if "accountant@example.com" in (m["To"] or "")]
    assert len(forwards) == sum("forward" in c.does for c in cases)

    inbox = deputy.cli("inbox")
    assert inbox.returncode == 0, inbox.stderr
    for c in cases:
        subject = c.raw.split(b"Subject: ", 1)[1].split(b"\n", 1)[0].decode().strip()
        assert (subject[:30] in inbox.stdout) == ("ask" in c.does), (c.name, inbox.stdout)
    log = deputy.cli("log", "-n", "50")
    assert log.returncode == 0 and "announces new payment details" in log.stdout, log.stdout
    facts = deputy.query(
        "SELECT facts FROM message_facts WHERE event_id=?", ("local:<fraud-4800-en@corpus.test>",)
    )
    assert json.loads(facts[0]["facts"])["payment"]["announces_change"] is True
