"""The README's console section, true as written: its [console] example loads, and
`deputy console` prints a one-time link of the form shown, for a running daemon's
database, keeping only the token's digest."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bot.config import load
from bot.store import Store
from bot.store.console_tokens import digest
from tests.e2e.conftest import ROOT, child_env

SECTION = (ROOT / "README.md").read_text(encoding="utf-8").split("## Web console", 1)[1].split("\n## ", 1)[0]


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args, "--config", str(config)],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_the_console_example_and_command_are_true(tmp_path: Path) -> None:
    (example,) = re.findall(r"```toml\n(.*?)```", SECTION, re.S)
    config = tmp_path / "config.toml"
    config.write_text('[deputy]\ndata_dir = "data"\n\n' + example)
    settings = load(config)
    assert settings.console.enabled and settings.console.port == 8750
    store = Store(settings.db_path)  # what the running daemon made
    await store.open()
    await store.close()
    (line,) = [x for x in SECTION.splitlines() if x.startswith(".venv/bin/deputy console")]
    shown = line.split("# prints ", 1)[1].strip()
    done = cli(config, "console")
    assert done.returncode == 0, done.stderr
    link = done.stdout.strip()
    assert link.startswith(shown.removesuffix("..."))
    token = link.split("token=", 1)[1]
    store = Store(settings.db_path)
    await store.open()
    try:
        rows = await store.db.fetchall("SELECT hash, kind FROM console_tokens")
    finally:
        await store.close()
    assert [(r["hash"], r["kind"]) for r in rows] == [(digest(token), "login")]


def test_the_command_says_when_the_console_is_off(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[deputy]\ndata_dir = "data"\n')
    (tmp_path / "data").mkdir()
    done = cli(config, "console")
    assert done.returncode == 2 and "enabled = true" in done.stderr
