"""Real servers on 127.0.0.1 for the email tests: Dovecot (IMAP) and aiosmtpd (SMTP).

Dovecot runs from its own config in a temp dir (``dovecot -F -c FILE``), so the
system config is never touched; it is stopped by killing the pid we started.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else "")
PASSWORD = "testpass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class DovecotServer:
    root: Path
    port: int
    config: Path
    proc: subprocess.Popen[bytes] | None = None
    password: str = PASSWORD

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"dovecot exited: {err}\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start on port {self.port}\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        # Give dovecot's children a moment to release the port.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    time.sleep(0.05)
            except OSError:
                return

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def _write_config(
    root: Path,
    port: int,
    *,
    ssl_settings: str = "ssl = no\ndisable_plaintext_auth = no",
    imaps_port: int = 0,
) -> Path:
    """``ssl_settings`` and ``imaps_port`` are for the TLS tests (test_email_tls.py)."""
    mail = root / "mail"
    mail.mkdir(mode=0o1777)
    os.chmod(mail, 0o1777)
    for sub in ("base", "state"):
        (root / sub).mkdir()
    config = root / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {root}/base
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl_settings}
auth_mechanisms = plain login
mail_location = maildir:{mail}/%u
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
"""
    )
    return config


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    if not DOVECOT:
        pytest.fail(
            "dovecot is not installed: the email integration tests need a real IMAP server "
            "(apt-get install -y --no-install-recommends dovecot-imapd)"
        )
    # Not under pytest's tmp_path: its parents are 0700 and Dovecot's mail processes
    # run as 'nobody', which must be able to reach the maildir.
    root = Path(tempfile.mkdtemp(prefix="deputy-dovecot-"))
    os.chmod(root, 0o755)
    port = free_port()
    server = DovecotServer(root=root, port=port, config=_write_config(root, port))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class SmtpRecorder:
    """aiosmtpd handler that records every accepted message; can be told to refuse."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    reply_code: str = ""  # e.g. "451 try later" or "550 no such user"
    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address -> RCPT reply
    on_data: Callable[[], None] | None = None  # called when DATA's content has arrived

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.on_data is not None:
            self.on_data()
        if self.reply_code:
            return self.reply_code
        content = bytes(envelope.original_content or envelope.content)
        self.messages.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "content": content,
                "parsed": message_from_bytes(content, policy=policy.default),
            }
        )
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    recorder: SmtpRecorder


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpServer]:
    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    await asyncio.to_thread(controller.start)
    try:
        yield SmtpServer(host="127.0.0.1", port=port, recorder=recorder)
    finally:
        await asyncio.to_thread(controller.stop)
