"""The README's quick start, run as written against the real daemon on the shipped
rules: its mail snippets (only the port differs: the test home listens on a free port),
its ``deputy inbox`` / ``deputy answer`` lines and its ``deputy try`` line.

A README example that stops being true fails here."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import ROOT, Home, child_env, wait_until

DEADLINE = 60.0
README = (ROOT / "README.md").read_text(encoding="utf-8")
QUICK_START = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]


def snippets() -> list[str]:
    """The Python programs fed to ``python3 -`` in the quick start, in order."""
    return re.findall(r"python3 - <<'PY'\n(.*?)\nPY\n", QUICK_START, re.S)


def commands(program: str) -> list[list[str]]:
    """The quick start's ``.venv/bin/deputy <program> ...`` lines, comments dropped."""
    found = []
    for line in QUICK_START.splitlines():
        if line.startswith(f".venv/bin/deputy {program}"):
            found.append(shlex.split(line.split("  #", 1)[0])[1:])
    return found


def run_snippet(code: str, port: int) -> None:
    code = code.replace('"127.0.0.1", 2525', f'"127.0.0.1", {port}')
    done = subprocess.run([sys.executable, "-"], input=code, text=True, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr


def deputy_cli(home: Home, args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args, "--config", str(home.config)],
        cwd=ROOT,
        env=child_env(home.env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_quick_start_is_true_as_written(deputy: Home) -> None:
    invoice, stranger = snippets()
    assert '"127.0.0.1", 2525' in invoice and '"127.0.0.1", 2525' in stranger

    run_snippet(invoice, deputy.port)
    replies = wait_until(lambda: deputy.outbox(), timeout=DEADLINE)
    assert isinstance(replies, list) and len(replies) == 1
    assert "paid this week" in replies[0].get_content()  # the reply from rules/invoices.md
    assert wait_until(lambda: list((deputy.mail / "Invoices").glob("*.eml")), timeout=DEADLINE)

    run_snippet(stranger, deputy.port)
    (inbox,) = commands("inbox")

    def waiting() -> str | None:
        out = deputy_cli(deputy, inbox).stdout
        return out if "carol@newco.example" in out else None

    listing = wait_until(waiting, timeout=DEADLINE)
    assert isinstance(listing, str) and re.search(r"^#1\s+carol@newco\.example", listing, re.M), listing
    (answer,) = commands("answer")
    assert deputy_cli(deputy, answer).returncode == 0
    to_carol = wait_until(
        lambda: [m for m in deputy.outbox() if "carol@newco.example" in (m["To"] or "")], timeout=DEADLINE
    )
    assert isinstance(to_carol, list) and len(to_carol) == 1
    assert "Thanks, I'll call you tomorrow." in to_carol[0].get_content()


def test_the_quick_starts_try_line_asks_about_new_bank_details(home: Home) -> None:
    (try_line,) = commands("try")
    done = deputy_cli(home, try_line)
    assert done.returncode == 0, done.stderr
    assert "announces new payment details" in done.stdout and "outcome: escalated" in done.stdout
    assert "It will be paid this week" in done.stdout  # what would have been sent, shown in full
    assert not Path(home.data / "deputy.sqlite3").exists()  # nothing happened
