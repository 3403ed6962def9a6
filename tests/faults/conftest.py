"""Fixtures for the fault and chaos tests: the real daemon (tests/e2e) and, for the
email channel, the real servers of tests/email (Dovecot for IMAP, aiosmtpd for SMTP)."""

from __future__ import annotations

import imaplib
import importlib.util
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.conftest import ROOT, Home, free_port

_EMAIL_CONFTEST = ROOT / "tests" / "email" / "conftest.py"
_spec = importlib.util.spec_from_file_location("deputy_email_servers", _EMAIL_CONFTEST)
assert _spec is not None and _spec.loader is not None
servers = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = servers
_spec.loader.exec_module(servers)
DovecotServer = servers.DovecotServer

IMAP_USER = "deputy"
ADDRESS = "deputy@deputy.test"

# A rule that saves attachments, beside the shipped rulebook.
STATEMENTS_RULE = """+++
description = "Bank statements: file them and keep their attachments"
priority = 20
when.subject = "(?i)statement"
may = ["file"]
file = { folder = "Statements", save_attachments = true }
+++
File statements and keep the attached PDFs.
"""


@dataclass
class Recorder:
    """aiosmtpd handler: records every accepted message (thread-safe)."""

    messages: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.messages.append(message_from_bytes(content, policy=policy.default))
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"] or "").strip() for m in self.messages]


@dataclass
class Smtp:
    port: int
    recorder: Recorder


@pytest.fixture
def dovecot() -> Iterator[Any]:
    if not servers.DOVECOT:
        pytest.fail("dovecot is not installed (apt-get install -y --no-install-recommends dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="deputy-dovecot-"))
    os.chmod(root, 0o755)
    port = free_port()
    server = DovecotServer(root=root, port=port, config=servers._write_config(root, port))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Smtp(port=port, recorder=recorder)
    finally:
        controller.stop()


def imap(server: Any) -> imaplib.IMAP4:
    conn = imaplib.IMAP4("127.0.0.1", server.port)
    conn.login(IMAP_USER, server.password)
    return conn


def append(server: Any, raw: bytes, folder: str = "INBOX") -> None:
    conn = imap(server)
    try:
        typ, data = conn.append(folder, None, None, raw)
        assert typ == "OK", data
    finally:
        conn.logout()


def count_in(server: Any, folder: str, message_id: str) -> int:
    """How many copies of ``message_id`` the server holds in ``folder`` (0 if no folder)."""
    conn = imap(server)
    try:
        typ, _ = conn.select(f'"{folder}"', readonly=True)
        if typ != "OK":
            return 0
        typ, data = conn.search(None, "HEADER", "Message-ID", message_id)
        return len(data[0].split()) if typ == "OK" and data[0] else 0
    finally:
        conn.logout()


def email_home(root: Path, dovecot: Any, smtp: Smtp, *, extra: str = "") -> Home:
    """A Deputy home with the local channel (for readiness) and an email channel."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "rules", root / "rules")
    (root / "rules" / "statements.md").write_text(STATEMENTS_RULE, encoding="utf-8")
    port = free_port()
    (root / "config.toml").write_text(
        "[deputy]\n"
        'data_dir = "data"\n'
        'rules_dir = "rules"\n'
        f'addresses = ["deputy@localhost", "{ADDRESS}"]\n'
        'log_level = "INFO"\n'
        "[digest]\n"
        "enabled = false\n"
        "[channels.local]\n"
        'type = "local"\n'
        f"listen_port = {port}\n"
        "[channels.email]\n"
        'type = "email"\n'
        'imap_host = "127.0.0.1"\n'
        f"imap_port = {dovecot.port}\n"
        'imap_security = "none"\n'
        f'username = "{IMAP_USER}"\n'
        'password_env = "DEPUTY_TEST_IMAP_PASSWORD"\n'
        "poll_seconds = 1\n"
        "reconnect_max_seconds = 1\n"
        "command_timeout_seconds = 10\n"
        'smtp_host = "127.0.0.1"\n'
        f"smtp_port = {smtp.port}\n"
        'smtp_security = "none"\n'
        f'address = "{ADDRESS}"\n'
        'sent_folder = "Sent"\n' + extra,
        encoding="utf-8",
    )
    os.environ["DEPUTY_TEST_IMAP_PASSWORD"] = dovecot.password
    return Home(root=root, port=port)


def cursor_ready(home: Home) -> bool:
    """The email channel has taken its baseline (mail appended from now on is new)."""
    if not home.db_path.exists():
        return False
    try:
        rows = home.query("SELECT value FROM kv WHERE key LIKE 'connector:email:imap_cursor:%'")
    except Exception:
        return False
    return bool(rows)


def ids_in_folder(server: Any, folder: str) -> dict[str, int]:
    """Message-ID -> number of copies in ``folder``, as the IMAP server sees it."""
    import re

    conn = imap(server)
    try:
        typ, _ = conn.select(f'"{folder}"', readonly=True)
        if typ != "OK":
            return {}
        typ, data = conn.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        found: dict[str, int] = {}
        if typ != "OK":
            return found
        for item in data:
            if isinstance(item, tuple):
                for mid in re.findall(rb"<[^>]+>", item[1]):
                    key = mid.decode()
                    found[key] = found.get(key, 0) + 1
        return found
    except imaplib.IMAP4.error:
        return {}
    finally:
        conn.logout()
