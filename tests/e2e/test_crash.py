"""Crash test: mail streams in over SMTP while the daemon is SIGKILLed at random moments.

A sender behaves like a real MTA: a mail whose transaction failed or got no 250 is
retried (same bytes, same Message-ID) until it is accepted. A killer SIGKILLs the daemon
every 0.2-1.5 s (seeded) and restarts it. At the end the daemon runs once more until
drained, and the invariants are checked from outside: the database, the outbox Maildir.

CI tier: 200 mails, 10 kills. A longer soak: DEPUTY_CRASH_MAILS=2000 DEPUTY_CRASH_KILLS=100
(and DEPUTY_CRASH_SEED to vary the schedule).
"""

from __future__ import annotations

import os
import random
import re
import smtplib
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage

from tests.e2e.conftest import INVOICE_TEXT, Home, mail, wait_until

MAILS = int(os.environ.get("DEPUTY_CRASH_MAILS", "200"))
KILLS = int(os.environ.get("DEPUTY_CRASH_KILLS", "10"))
SEED = int(os.environ.get("DEPUTY_CRASH_SEED", "20261125"))
SENDERS = 3  # concurrent SMTP clients
DRAIN_TIMEOUT = 300.0  # only to avoid hanging


@dataclass(frozen=True)
class Sample:
    kind: str  # invoice | unmatched | bulk
    message_id: str
    msg: EmailMessage


def corpus(n: int, rng: random.Random) -> list[Sample]:
    out = []
    for i in range(n):
        roll = rng.random()
        mid = f"<crash-{i}-{rng.getrandbits(32):08x}@test.example>"
        if roll < 0.5:
            # Unique sender and subject each: the per-correspondent and per-thread caps
            # must not turn a reply into a question.
            kind = "invoice"
            msg = mail(
                sender=f"ap{i}@acme-supplies.com", subject=f"Invoice {i}", message_id=mid, text=INVOICE_TEXT
            )
        elif roll < 0.75:
            kind = "unmatched"
            msg = mail(sender=f"person{i}@example.org", subject=f"A question {i}", message_id=mid)
        else:
            kind = "bulk"
            # Half look like invoices (the rule would reply), half like newsletters:
            # Precedence: bulk forbids an automatic reply either way (RFC 3834).
            sender = f"billing@bulk{i}.example" if i % 2 else f"newsletter@news{i}.example"
            subject = f"Invoice digest {i}" if i % 2 else f"Weekly news {i}"
            msg = mail(sender=sender, subject=subject, message_id=mid, headers={"Precedence": "bulk"})
        out.append(Sample(kind, mid, msg))
    return out


class MTA:
    """Delivers each mail until it gets a 250, retrying like a real MTA would."""

    def __init__(self, home: Home, samples: list[Sample], rng: random.Random) -> None:
        self.home = home
        self.samples = samples
        self.rng = rng
        self.accepted: set[str] = set()
        self.retries = 0
        self.lock = threading.Lock()
        self.errors: list[BaseException] = []

    def run(self, part: list[Sample], seed: int) -> None:
        rng = random.Random(seed)
        try:
            for sample in part:
                deadline = time.monotonic() + DRAIN_TIMEOUT
                while True:
                    try:
                        self.home.send(sample.msg, timeout=10)
                        break
                    except (OSError, smtplib.SMTPException):
                        # refused, reset, 451, or the connection dropped before the 250
                        with self.lock:
                            self.retries += 1
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(rng.uniform(0.02, 0.1))
                with self.lock:
                    self.accepted.add(sample.message_id)
                time.sleep(rng.uniform(0.0, 0.12 * SENDERS))  # spread the stream over the kills
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)


def test_no_accepted_mail_is_lost_and_nothing_is_sent_twice(home: Home) -> None:
    rng = random.Random(SEED)
    samples = corpus(MAILS, rng)
    mta = MTA(home, samples, rng)
    home.start()
    threads = [
        threading.Thread(target=mta.run, args=(samples[k::SENDERS], SEED + k), daemon=True)
        for k in range(SENDERS)
    ]
    for t in threads:
        t.start()

    kills = 0
    while kills < KILLS or any(t.is_alive() for t in threads):
        if rng.random() < 0.15:
            # Sometimes kill it while it is still starting up (recovery, migrations).
            time.sleep(rng.uniform(0.0, 0.3))
        else:
            time.sleep(rng.uniform(0.2, 1.5))
        home.kill()
        kills += 1
        home.start()
    for t in threads:
        t.join(timeout=DRAIN_TIMEOUT)
    assert not mta.errors, mta.errors
    assert mta.accepted == {s.message_id for s in samples}

    # One last clean run until everything is done.
    home.kill()
    home.start()
    wait_until(home.drained, timeout=DRAIN_TIMEOUT, interval=0.2)
    assert home.stop() == 0, home.last_log()

    assert home.query("PRAGMA integrity_check")[0][0] == "ok"

    rows = {r["id"]: r for r in home.query("SELECT id, state, last_error FROM inbox")}
    quarantined = [(i, r["last_error"]) for i, r in rows.items() if r["state"] == "quarantined"]
    assert all(reason for _, reason in quarantined)
    assert quarantined == [], quarantined
    for s in samples:
        row = rows.get(f"local:{s.message_id}")
        assert row is not None, f"accepted mail {s.message_id} ({s.kind}) is lost"
        assert row["state"] == "done", (s.message_id, row["state"], row["last_error"])

    replies = Counter((m["In-Reply-To"] or "").strip() for m in home.outbox())
    for s in samples:
        if s.kind == "invoice":
            assert replies[s.message_id] == 1, f"{s.message_id}: {replies[s.message_id]} replies"
        else:
            assert replies[s.message_id] == 0, f"{s.kind} {s.message_id} got a reply"

    escalations = Counter(r["event_id"] for r in home.query("SELECT event_id FROM escalations"))
    for s in samples:
        if s.kind == "unmatched":
            assert escalations[f"local:{s.message_id}"] == 1, s.message_id
        elif s.kind == "invoice":
            assert escalations[f"local:{s.message_id}"] == 0, s.message_id

    # Every invoice-like mail (the rule files bulk ones too) is filed exactly once, and
    # nothing that was filed reappears in INBOX (e.g. after an MTA retry of an accepted mail).
    def ids_in(folder: str) -> Counter[str]:
        found: Counter[str] = Counter()
        for path in (home.mail / folder).glob("*.eml"):
            head = path.read_bytes().split(b"\n\n", 1)[0].decode(errors="replace")
            found.update(m for m in re.findall(r"<crash-[^>]+>", head))
        return found

    filed, left = ids_in("Invoices"), ids_in("INBOX")
    for s in samples:
        invoice_like = "Invoice" in str(s.msg["Subject"])
        assert filed[s.message_id] == int(invoice_like), (s.kind, s.message_id, filed[s.message_id])
        if invoice_like:
            assert left[s.message_id] == 0, f"filed mail {s.message_id} is back in INBOX"

    unsent = home.query("SELECT key, state, last_error FROM outbox WHERE state != 'sent'")
    assert [tuple(r) for r in unsent] == []
    print(f"\ncrash test: {MAILS} mails, {kills} kills, {mta.retries} SMTP retries, seed {SEED}")
