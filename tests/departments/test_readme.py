"""The README's Departments walk-through, run as written (only the port and the folder
differ) against the real daemon on the shipped example organisation."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.departments.test_crash import TIMEOUT, _home
from tests.e2e.conftest import ROOT, Home, child_env, wait_until

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Departments", 1)[1].split("\n## ", 1)[0]


def _cli(home: Home, line: str) -> str:
    args = shlex.split(line.split("  #", 1)[0])[1:]
    args = [str(home.config) if a == "/tmp/org/config.toml" else a for a in args]
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=child_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_departments_walk_through_is_true_as_written(tmp_path: Path) -> None:
    assert (
        "cp -r examples/organisation /tmp/org && .venv/bin/deputy run --config /tmp/org/config.toml"
        in SECTION
    )
    (snippet,) = re.findall(r"python3 - <<'PY'\n(.*?)\nPY\n", SECTION, re.S)
    lines = [
        line for line in SECTION.splitlines() if line.startswith(".venv/bin/deputy ") and " run " not in line
    ]
    assert [line.split()[1] for line in lines] == ["departments", "inbox", "log"]
    home = _home(tmp_path / "org")
    try:
        home.start()
        code = snippet.replace('"127.0.0.1", 2525', f'"127.0.0.1", {home.port}')
        sent = subprocess.run([sys.executable, "-"], input=code, text=True, capture_output=True, timeout=60)
        assert sent.returncode == 0, sent.stderr
        wait_until(lambda: home.query("SELECT COUNT(*) FROM escalations")[0][0], timeout=TIMEOUT)
        wait_until(home.drained, timeout=TIMEOUT, interval=0.1)

        departments, inbox, log = (_cli(home, line) for line in lines)
        assert "sales: supervisor accounts; asks sales -> accounts -> owner" in departments
        assert "questions to the owner waiting 1" in departments.split("\nsales")[0].split("\naccounts")[1]
        assert "hand-off open, deadline " in departments.split("\nsales")[1]
        assert "(asked by sales -> accounts -> owner)" in inbox
        assert inbox.count("#") == 1, "the discount was decided by accounts: one question only"
        assert "handed off to accounts (sales -> accounts)" in log
        assert "asked accounts (sales -> accounts)" in log
        assert not home.outbox()

        (question,) = home.query("SELECT id FROM escalations")
        _cli(home, f".venv/bin/deputy answer {question['id']} 1 --config /tmp/org/config.toml")
        (reply,) = wait_until(home.outbox, timeout=TIMEOUT)  # type: ignore[misc]
        assert reply["From"] == "Example Ltd Accounts <accounts@example.test>"
        assert reply["To"] == "buyer@client.test" and "Accounts, Example Ltd" in reply.get_content()
        assert home.stop() == 0
    finally:
        home.cleanup()
