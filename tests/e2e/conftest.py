"""The real daemon as a subprocess, driven over real SMTP on 127.0.0.1.

Nothing here is mocked: mail goes in with stdlib ``smtplib``, replies come out of the
outbox Maildir, questions are read and answered with the ``deputy`` CLI, and the
database is checked from outside with stdlib ``sqlite3``.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0  # generous: only to avoid hanging, never asserted


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("DEPUTY_LLM_API_KEY", None)
    env.update(extra or {})
    return env


def wait_until(
    predicate: Callable[[], object],
    *,
    timeout: float,
    interval: float = 0.05,
    describe: Callable[[], str] | None = None,
) -> object:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``,
    with what ``describe`` says of the state then."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            state = f"\n{describe()}" if describe is not None else ""
            raise AssertionError(f"condition not met within {timeout:.0f}s: {predicate}{state}")
        time.sleep(interval)


@dataclass
class Home:
    """A temporary Deputy home: config.toml, rules/, data/."""

    root: Path
    port: int
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    log_files: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # extra environment (secrets)
    module: str = "bot.cli"  # what ``python -m`` runs for the daemon

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def db_path(self) -> Path:
        return self.data / "deputy.sqlite3"

    @property
    def outbox_new(self) -> Path:
        return self.data / "outbox" / "new"

    @property
    def mail(self) -> Path:
        return self.data / "mail"

    # ----- the daemon ---------------------------------------------------------------
    def spawn(self) -> subprocess.Popen[bytes]:
        """Start ``deputy run`` without waiting for it (see ``start``)."""
        log_path = self.root / f"daemon-{len(self.log_files)}.log"
        self.log_files.append(log_path)
        out = log_path.open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", self.module, "run", "--config", str(self.config)],
            cwd=ROOT,
            env=child_env(self.env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()
        self.procs.append(proc)
        return proc

    def start(self) -> subprocess.Popen[bytes]:
        proc = self.spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"daemon exited with {proc.returncode}:\n{self.last_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"daemon did not listen within {START_TIMEOUT}s:\n{self.last_log()}")
            time.sleep(0.02)
        self.proc = proc
        return proc

    def stop(self, *, timeout: float = 60.0) -> int:
        """SIGTERM and wait: returns the exit code."""
        proc, self.proc = self.proc, None
        assert proc is not None, "daemon not running"
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"daemon did not stop on SIGTERM:\n{self.last_log()}") from None

    def kill(self) -> None:
        """SIGKILL: the crash."""
        proc, self.proc = self.proc, None
        assert proc is not None, "daemon not running"
        proc.kill()
        proc.wait()

    def last_log(self) -> str:
        if not self.log_files:
            return ""
        return self.log_files[-1].read_text(errors="replace")[-5000:]

    def cleanup(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    # ----- the CLI --------------------------------------------------------------------
    def cli(
        self, *args: str, config: Path | None = None, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args, "--config", str(config or self.config)],
            cwd=ROOT,
            env=child_env(self.env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    # ----- mail in ----------------------------------------------------------------------
    def send(self, msg: EmailMessage, *, timeout: float = 30.0) -> None:
        """One SMTP transaction; raises unless the server answered 250 to DATA."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=timeout) as smtp:
            smtp.send_message(msg)

    # ----- mail out ---------------------------------------------------------------------
    def outbox(self) -> list[EmailMessage]:
        if not self.outbox_new.exists():
            return []
        out = []
        for path in sorted(self.outbox_new.iterdir()):
            if path.is_file():
                msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                assert isinstance(msg, EmailMessage)
                out.append(msg)
        return out

    def replies_to(self, message_id: str) -> list[EmailMessage]:
        return [m for m in self.outbox() if (m["In-Reply-To"] or "").strip() == message_id]

    # ----- the database, from outside ---------------------------------------------------------
    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=30)
        conn.row_factory = sqlite3.Row
        return conn

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        conn = self.db()
        try:
            return list(conn.execute(sql, params))
        finally:
            conn.close()

    def drained(self) -> bool:
        busy = self.query(
            "SELECT (SELECT COUNT(*) FROM inbox WHERE state IN ('pending','processing'))"
            " + (SELECT COUNT(*) FROM outbox WHERE state IN ('pending','sending'))"
        )[0][0]
        return busy == 0

    def backlog(self) -> str:
        """What keeps ``drained`` false, and the daemon's last words: for a failure message."""
        inbox = self.query("SELECT id, state, attempts FROM inbox WHERE state IN ('pending','processing')")
        outbox = self.query(
            "SELECT key, state, attempts, next_at, last_error FROM outbox"
            " WHERE state IN ('pending','sending')"
        )
        return (
            f"inbox: {[tuple(r) for r in inbox]}\noutbox: {[tuple(r) for r in outbox]}\n"
            f"log tail:\n{self.last_log()[-3000:]}"
        )


def write_config(root: Path, port: int) -> Path:
    cfg = root / "config.toml"
    cfg.write_text(
        "[deputy]\n"
        'data_dir = "data"\n'
        'rules_dir = "rules"\n'
        'addresses = ["deputy@localhost"]\n'
        'log_level = "INFO"\n'
        "[digest]\n"
        "enabled = false\n"
        "[channels.local]\n"
        'type = "local"\n'
        f"listen_port = {port}\n",
        encoding="utf-8",
    )
    return cfg


def make_home(root: Path) -> Home:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "rules", root / "rules")
    port = free_port()
    write_config(root, port)
    return Home(root=root, port=port)


# An invoice names its amount: the shipped invoices template promises payment ("it will
# be paid this week"), which leaves only typed with the amount due; without one the
# gate asks the owner.
INVOICE_TEXT = "Hello,\n\nplease find our invoice attached. Total due: 120.00 EUR.\n"


def mail(
    *,
    sender: str,
    subject: str,
    message_id: str,
    text: str = "Hello,\n\nplease see below.\n",
    to: str = "deputy@localhost",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = "Wed, 25 Nov 2026 10:00:00 +0000"
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(text)
    return msg


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    """A fresh Deputy home (not started): ``home.start()`` runs the real daemon."""
    h = make_home(tmp_path / "deputy")
    try:
        yield h
    finally:
        h.cleanup()


@pytest.fixture
def deputy(home: Home) -> Iterator[Home]:
    """A fresh Deputy home with the real daemon running."""
    home.start()
    yield home
    if home.proc is not None and home.proc.poll() is None:
        home.stop()


# ----- chat channels for the real daemon ------------------------------------------------
TG_OWNER = 4242


def add_telegram(home: Home, base_url: str, *, owner_id: int = TG_OWNER, extra: str = "") -> None:
    """Configure [channels.telegram] against a fake Bot API and make the owner's
    Telegram account the preferred channel."""
    with home.config.open("a", encoding="utf-8") as f:
        f.write(
            "[channels.telegram]\n"
            'type = "telegram"\n'
            f'base_url = "{base_url}"\n'
            "poll_timeout = 1\n"
            "backoff_initial = 0.05\n"
            "backoff_max = 0.5\n" + extra
        )
    owner_md = home.root / "rules" / "owner.md"
    owner_md.write_text(
        owner_md.read_text(encoding="utf-8")
        .replace('preferred_channel = "cli"', 'preferred_channel = "telegram"')
        .replace("# identities.telegram = 123456789", f"identities.telegram = {owner_id}")
        # No quiet hours: prompts must not wait for the morning when CI runs at night.
        .replace('quiet_hours = ["22:00", "07:00"]', ""),
        encoding="utf-8",
    )
