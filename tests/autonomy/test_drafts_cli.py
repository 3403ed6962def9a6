"""Drafts through the real daemon (a subprocess in local mail mode) and the ``deputy``
CLI: a draft rule's reply waits; ``deputy send --edit`` sends exactly the owner's text,
``deputy discard`` sends nothing, ``deputy send`` sends the draft as shown; the ledger
survives a restart; an approval interrupted right after its commit is sent once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from email.message import EmailMessage

import pytest

from tests.autonomy.support import DRAFT_TEXT, write_draft_rule
from tests.e2e.conftest import ROOT, Home, child_env, mail, wait_until

EDITED = "Hi Bob,\n\nhere are our prices: see the attached sheet.\n  Indented line, kept.\n\nAlex\n"


def price_request(n: int) -> EmailMessage:
    return mail(
        sender="Bob Buyer <bob@example.org>",
        subject=f"Price list please ({n})",
        message_id=f"<price-{n}@example.org>",
    )


def draft_of(home: Home, n: int) -> int:
    rows = wait_until(
        lambda: home.query(
            "SELECT d.id FROM drafts d JOIN inbox i ON i.id = d.event_id"
            " WHERE i.body LIKE ? AND d.state = 'open'",
            (f"%price-{n}@example.org%",),
        ),
        timeout=30,
    )
    assert isinstance(rows, list)
    return int(rows[0]["id"])


def cli_with_stdin(home: Home, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args, "--config", str(home.config)],
        cwd=ROOT,
        env=child_env(home.env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def body(msg: EmailMessage) -> str:
    """The text as sent, with the wire's CRLF line ends read back as the owner's LF
    (RFC 5322 2.3: lines in a message end with CRLF); nothing else is changed."""
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    content = str(part.get_content())
    assert "\n" not in content.replace("\r\n", "")  # every line end is a CRLF
    return content.replace("\r\n", "\n")


def test_edit_discard_and_send_from_the_cli_with_the_ledger_across_a_restart(draft_home: Home) -> None:
    home = draft_home
    with home.config.open("a", encoding="utf-8") as f:
        f.write("[autonomy]\npromote_after = 1\n")  # one unchanged send earns the proposal
    home.start()
    home.send(price_request(1))
    first = draft_of(home, 1)
    wait_until(home.drained, timeout=30)
    assert home.replies_to("<price-1@example.org>") == []  # a draft waits: nothing left

    listed = home.cli("drafts")
    assert listed.returncode == 0, listed.stderr
    assert f"#{first}" in listed.stdout and "bob@example.org" in listed.stdout
    for line in DRAFT_TEXT.splitlines():  # the whole text, every line of it
        assert line in listed.stdout

    sent = cli_with_stdin(home, "send", str(first), "--edit", stdin=EDITED)
    assert sent.returncode == 0, sent.stderr
    replies = wait_until(lambda: home.replies_to("<price-1@example.org>"), timeout=30)
    assert isinstance(replies, list) and len(replies) == 1
    assert body(replies[0]) == EDITED  # byte for byte what the owner wrote
    assert replies[0]["To"] == "Bob Buyer <bob@example.org>" or "bob@example.org" in replies[0]["To"]

    home.send(price_request(2))
    second = draft_of(home, 2)
    assert home.cli("discard", str(second)).returncode == 0
    discarded = "SELECT 1 FROM drafts WHERE id=? AND state='discarded'"
    wait_until(lambda: home.query(discarded, (second,)), timeout=30)

    home.send(price_request(3))
    third = draft_of(home, 3)
    assert home.cli("send", str(third)).returncode == 0
    replies = wait_until(lambda: home.replies_to("<price-3@example.org>"), timeout=30)
    assert isinstance(replies, list) and body(replies[0]).rstrip("\n") == DRAFT_TEXT
    wait_until(home.drained, timeout=30)
    assert home.replies_to("<price-2@example.org>") == []  # discarded: nothing sent

    assert home.stop() == 0, home.last_log()
    home.start()
    record = home.cli("rules")
    assert record.returncode == 0, record.stderr
    assert "autonomy draft" in record.stdout
    assert "1 sent unchanged, 1 edited" in record.stdout and "1 discarded" in record.stdout
    again = home.cli("send", str(third))
    assert again.returncode == 1 and "already sent" in again.stderr
    ledger = home.query("SELECT * FROM rule_ledger WHERE rule='prices'")[0]
    assert (ledger["sent_unchanged"], ledger["sent_edited"], ledger["discarded"]) == (1, 1, 1)
    assert 0 < ledger["changed_sum"] <= 1
    # Proposed, not raised: the rule still drafts until the owner says so.
    assert "proposed for auto (deputy rules level prices auto)" in record.stdout
    assert ledger["level"] == "" and ledger["proposed"] == 1
    home.send(price_request(4))
    draft_of(home, 4)
    raised = home.cli("rules", "level", "prices", "auto")
    assert raised.returncode == 0, raised.stderr
    assert "autonomy auto (set in Deputy; the file says draft)" in home.cli("rules").stdout
    home.send(price_request(5))
    replies = wait_until(lambda: home.replies_to("<price-5@example.org>"), timeout=30)
    assert isinstance(replies, list) and body(replies[0]).rstrip("\n") == DRAFT_TEXT  # sent on its own
    assert home.stop() == 0


def test_an_approval_killed_after_its_commit_is_sent_exactly_once(draft_home: Home) -> None:
    home = draft_home
    # The first hit is the message's own commit (the draft); the second the approval's.
    home.env["DEPUTY_FAULT"] = "after_outbox_commit:2"
    proc = home.start()
    home.send(price_request(1))
    draft = draft_of(home, 1)
    sent = cli_with_stdin(home, "send", str(draft), "--edit", stdin=EDITED)
    assert sent.returncode == 0, sent.stderr
    wait_until(lambda: proc.poll() is not None, timeout=30)
    assert proc.returncode == 86, home.last_log()
    home.proc = None
    assert home.replies_to("<price-1@example.org>") == []  # died before any delivery
    del home.env["DEPUTY_FAULT"]
    home.start()
    wait_until(lambda: home.replies_to("<price-1@example.org>"), timeout=30)
    wait_until(home.drained, timeout=30)
    replies = home.replies_to("<price-1@example.org>")
    assert len(replies) == 1 and body(replies[0]) == EDITED
    keys = [r["key"] for r in home.query("SELECT key FROM outbox WHERE op='send' AND key LIKE 'draft:%'")]
    assert keys == [f"draft:{draft}:v2:0:reply"]
    assert home.cli("send", str(draft)).returncode == 1  # closed: a second approval is refused
    assert home.stop() == 0


def test_shadow_and_try_since_show_what_rules_would_do_and_change_nothing(draft_home: Home) -> None:
    home = draft_home
    rules = home.root / "rules"
    write_draft_rule(rules, level="auto")
    write_draft_rule(rules, level="shadow", name="watched", subject="(?i)catalogue")
    home.start()
    home.send(
        mail(sender="Eve <eve@example.org>", subject="Your catalogue?", message_id="<cat-1@example.org>")
    )
    wait_until(lambda: home.query("SELECT 1 FROM audit WHERE outcome='shadow'"), timeout=30)
    wait_until(home.drained, timeout=30)
    assert home.replies_to("<cat-1@example.org>") == []
    assert home.query("SELECT COUNT(*) FROM escalations")[0][0] == 0  # nobody was asked either
    log = home.cli("log")
    assert "shadow" in log.stdout and "would have done reply: Reply to eve@example.org" in log.stdout
    digest = home.cli("digest")
    assert "Rules in shadow mode" in digest.stdout and "[rule watched] would have done reply" in digest.stdout

    home.send(price_request(1))
    home.send(price_request(2))
    home.send(mail(sender="carol@example.org", subject="Lunch?", message_id="<lunch@example.org>"))
    wait_until(
        lambda: len(home.replies_to("<price-1@example.org>") + home.replies_to("<price-2@example.org>")) == 2,
        timeout=30,
    )
    wait_until(home.drained, timeout=30)
    assert home.stop() == 0

    write_draft_rule(rules, level="draft")  # the owner wants to see these first from now on
    before = (home.query("SELECT COUNT(*) FROM outbox")[0][0], home.query("SELECT COUNT(*) FROM audit")[0][0])
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))  # safe across midnight
    report = home.cli("try", "--since", yesterday)
    assert report.returncode == 0, report.stderr
    assert "4 messages" in report.stdout and "2 would be handled differently now, 2 the same" in report.stdout
    assert report.stdout.count("then: handled by prices: reply") == 2
    assert report.stdout.count("now:  escalated by prices: escalate") == 2
    assert "Lunch?" not in report.stdout
    after = (home.query("SELECT COUNT(*) FROM outbox")[0][0], home.query("SELECT COUNT(*) FROM audit")[0][0])
    assert after == before  # no side effect
    bad = home.cli("try", "--since", "last week")
    assert bad.returncode == 2 and "expected a date like 2026-11-30" in bad.stderr


# More kill moments in the opt-in soak: each costs two daemon starts.
SOAK = [
    pytest.mark.soak,
    pytest.mark.skipif(
        os.environ.get("DEPUTY_SOAK") != "1", reason="more kill moments only with DEPUTY_SOAK=1"
    ),
]


@pytest.mark.parametrize("delay", [0.15, pytest.param(0.0, marks=SOAK), pytest.param(0.4, marks=SOAK)])
def test_a_sigkill_at_any_moment_of_an_approval_still_sends_exactly_once(
    draft_home: Home, delay: float
) -> None:
    """A real SIGKILL ``delay`` seconds after the owner's approval reaches the inbox:
    before it is claimed, while it is carried out, or after the send."""
    home = draft_home
    home.start()
    home.send(price_request(1))
    draft = draft_of(home, 1)
    sent = cli_with_stdin(home, "send", str(draft), "--edit", stdin=EDITED)
    assert sent.returncode == 0, sent.stderr
    time.sleep(delay)
    home.kill()
    home.start()
    wait_until(lambda: home.replies_to("<price-1@example.org>"), timeout=30)
    wait_until(home.drained, timeout=30)
    replies = home.replies_to("<price-1@example.org>")
    assert len(replies) == 1 and body(replies[0]) == EDITED
    assert home.query("SELECT state FROM drafts WHERE id=?", (draft,))[0]["state"] == "edited"
    assert home.stop() == 0
