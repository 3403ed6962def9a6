"""The quotes task with the real daemon (a subprocess), real SMTP in on 127.0.0.1, the
outbox Maildir out and the `deputy task add` / `deputy tasks` CLI. The follow-up delay is
a few seconds so that the daemon's own scheduler fires it (no clock is injected here).

Deadlines below only keep a broken build from hanging; nothing asserts durations.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.conftest import Home, mail, make_home, wait_until

DEADLINE = 60.0
PRINTERS = ("a@print-a.example", "b@print-b.example", "c@print-c.example")


@pytest.fixture
def real(tmp_path: Path) -> Iterator[Home]:
    h = make_home(tmp_path / "deputy")
    h.start()
    try:
        yield h
    finally:
        if h.proc is not None and h.proc.poll() is None:
            h.stop()
        h.cleanup()


def to(home: Home, address: str) -> list[EmailMessage]:
    return [m for m in home.outbox() if address in (m["To"] or "")]


def answer(home: Home, request: EmailMessage, *, sender: str, text: str, n: int) -> None:
    msg = mail(sender=sender, subject=f"Re: {request['Subject']}", message_id=f"<q{n}@printer>", text=text)
    msg["In-Reply-To"] = request["Message-ID"]
    msg["References"] = request["Message-ID"]
    home.send(msg)


def test_quotes_over_real_smtp(real: Home) -> None:
    args = ["task", "add", "quotes", "--subject", "Quote for 500 brochures"]
    for p in PRINTERS:
        args += ["--to", p]
    args += ["--request", "Could you quote 500 brochures, A5, 4 pages?", "--budget", "300 EUR"]
    added = real.cli(*args, "--follow-up", "0.001h", "--deadline", "2h")
    assert added.returncode == 0, added.stderr
    wait_until(lambda: all(to(real, p) for p in PRINTERS), timeout=DEADLINE)
    requests = {p: to(real, p)[0] for p in PRINTERS}
    assert requests[PRINTERS[0]]["Subject"] == "Quote for 500 brochures"
    answer(real, requests[PRINTERS[0]], sender=PRINTERS[0], text="Our price: 280 EUR.", n=1)
    answer(real, requests[PRINTERS[1]], sender=PRINTERS[1], text="We quote 320 EUR.", n=2)
    # The slow printer gets one follow-up, in the request's thread.
    wait_until(lambda: len(to(real, PRINTERS[2])) == 2, timeout=DEADLINE)
    nudge = to(real, PRINTERS[2])[1]
    assert nudge["In-Reply-To"] == requests[PRINTERS[2]]["Message-ID"]
    answer(real, requests[PRINTERS[2]], sender=PRINTERS[2], text="EUR 260 all in.", n=3)
    wait_until(lambda: "[done]" in real.cli("tasks").stdout, timeout=DEADLINE)
    wait_until(real.drained, timeout=DEADLINE)
    assert "accept your offer of 260 EUR" in to(real, PRINTERS[2])[-1].get_content()
    for loser in PRINTERS[:2]:
        last = to(real, loser)[-1]
        assert "another offer" in last.get_content()
        assert last["In-Reply-To"] == f"<q{PRINTERS.index(loser) + 1}@printer>"
    assert [len(to(real, p)) for p in PRINTERS] == [2, 2, 3]
    listing = real.cli("tasks").stdout
    assert "c@print-c.example at 260 EUR" in listing and "c@print-c.example: accepted" in listing
    told = real.query("SELECT payload FROM outbox WHERE recipient='owner' AND payload LIKE '%Task #1 done%'")
    assert told
