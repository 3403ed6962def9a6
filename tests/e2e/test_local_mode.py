"""Local mode end to end: the real daemon, real SMTP in, the outbox Maildir out, the CLI.

Deadlines below only keep a broken build from hanging; no test asserts how long
anything took.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys

from tests.e2e.conftest import ROOT, Home, child_env, mail, wait_until

DEADLINE = 60.0

# An invoice names what it asks: the template's "it will be paid" is typed with this
# amount; an invoice with no amount would be asked (the gate blocks untyped promises).
INVOICE = "Please find our invoice attached. Total due: 120.00 EUR.\n"


def test_matching_mail_gets_its_reply_and_is_filed(deputy: Home) -> None:
    msg = mail(
        sender="Xavier <x@acme-supplies.com>",
        subject="Invoice 123",
        message_id="<inv-123@acme>",
        text="Please find our invoice for 150 EUR.",
    )
    deputy.send(msg)
    replies = wait_until(lambda: deputy.replies_to("<inv-123@acme>"), timeout=DEADLINE)
    assert isinstance(replies, list) and len(replies) == 1
    reply = replies[0]
    assert reply["Subject"] == "Re: Invoice 123"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert "<inv-123@acme>" in (reply["References"] or "")
    assert "x@acme-supplies.com" in reply["To"]
    assert "paid this week" in reply.get_content()
    filed = wait_until(lambda: list((deputy.mail / "Invoices").glob("*.eml")), timeout=DEADLINE)
    assert isinstance(filed, list) and len(filed) == 1
    assert b"<inv-123@acme>" in filed[0].read_bytes()
    assert not list((deputy.mail / "INBOX").glob("*.eml"))  # moved, not copied


def test_unmatched_mail_is_asked_and_the_answer_is_sent(deputy: Home) -> None:
    msg = mail(sender="Carol <carol@newco.example>", subject="Partnership?", message_id="<p-1@newco>")
    deputy.send(msg)

    def question() -> str | None:
        out = deputy.cli("inbox")
        assert out.returncode == 0, out.stderr
        return out.stdout if "Partnership?" in out.stdout else None

    listing = wait_until(question, timeout=DEADLINE)
    assert isinstance(listing, str) and "carol@newco.example" in listing
    found = re.search(r"^#(\d+)\s+carol@newco\.example", listing, re.MULTILINE)
    assert found, listing
    answered = deputy.cli("answer", found.group(1), "Thanks Carol,", "let's talk next week.")
    assert answered.returncode == 0, answered.stderr

    replies = wait_until(lambda: deputy.replies_to("<p-1@newco>"), timeout=DEADLINE)
    assert isinstance(replies, list) and len(replies) == 1
    assert "carol@newco.example" in replies[0]["To"]
    assert "let's talk next week." in replies[0].get_content()
    assert wait_until(lambda: "Nothing is waiting" in deputy.cli("inbox").stdout, timeout=DEADLINE)
    log = deputy.cli("log", "-n", "10")
    assert log.returncode == 0 and "escalated" in log.stdout, log.stdout


def test_sigterm_stops_cleanly_and_a_restart_sends_nothing_twice(deputy: Home) -> None:
    ids = [f"<inv-{n}@acme>" for n in range(3)]
    for n, mid in enumerate(ids):
        deputy.send(
            mail(
                sender=f"ap{n}@acme-supplies.com",
                subject=f"Invoice {n}",
                message_id=mid,
                text="Total: 75 EUR",
            )
        )
    wait_until(lambda: all(deputy.replies_to(m) for m in ids), timeout=DEADLINE)
    wait_until(deputy.drained, timeout=DEADLINE)
    before = sorted(p.name for p in deputy.outbox_new.iterdir())
    assert deputy.stop() == 0, deputy.last_log()

    deputy.start()
    # The same mail delivered again (an MTA retry) is a duplicate, not new work.
    deputy.send(
        mail(sender="ap0@acme-supplies.com", subject="Invoice 0", message_id=ids[0], text="Total: 75 EUR")
    )
    # A fresh mail after the restart proves the daemon works, and gives the old mail time
    # to be (wrongly) resent before we look.
    deputy.send(
        mail(
            sender="ap9@acme-supplies.com",
            subject="Invoice 9",
            message_id="<inv-9@acme>",
            text="Total: 75 EUR",
        )
    )
    wait_until(lambda: deputy.replies_to("<inv-9@acme>"), timeout=DEADLINE)
    wait_until(deputy.drained, timeout=DEADLINE)
    # The retried copy of a mail that was already filed does not reappear in INBOX.
    stray = [p for p in (deputy.mail / "INBOX").glob("*.eml") if b"<inv-0@acme>" in p.read_bytes()]
    assert stray == []
    assert deputy.stop() == 0, deputy.last_log()
    after = sorted(p.name for p in deputy.outbox_new.iterdir())
    assert set(before) <= set(after) and len(after) == len(before) + 1
    for mid in ids:
        assert len(deputy.replies_to(mid)) == 1


def test_second_daemon_on_the_same_config_refuses(deputy: Home) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(deputy.config)],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode != 0
    assert re.search(r"another Deputy .*is running", second.stderr), second.stderr
    assert deputy.proc is not None and deputy.proc.poll() is None  # the first one is unharmed


def test_sigint_also_stops_cleanly(home: Home) -> None:
    proc = home.start()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0, home.last_log()
    home.proc = None


def test_check_ok_on_the_shipped_config_and_names_a_broken_rule(home: Home) -> None:
    ok = home.cli("check", config=ROOT / "config.toml")
    assert ok.returncode == 0, ok.stderr
    assert "rules OK" in ok.stdout

    bad = home.root / "rules" / "broken.md"
    bad.write_text(
        '+++\nwhen.subject = "x"\nmay = ["reply"]\nbogus_key = 1\n+++\nBroken.\n', encoding="utf-8"
    )
    broken = home.cli("check")
    assert broken.returncode == 2, broken.stdout + broken.stderr
    assert "broken.md" in broken.stderr
