"""Radicale (from PyPI) as a real CalDAV server on 127.0.0.1, one per test.

Started as a subprocess with its own config and storage folder; a user with a password
(htpasswd, plain) so the client's authentication runs too. The test seeds and inspects
the calendar with caldav's own client, as another calendar app of the owner would.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from caldav.davclient import DAVClient

from tests.e2e.conftest import free_port

USER, PASSWORD = "alex", "radicale-test-password"


@dataclass
class Radicale:
    port: int
    root: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def client(self) -> DAVClient:
        return DAVClient(url=self.url, username=USER, password=PASSWORD)

    def calendar(self, name: str = "work") -> Any:
        principal = self.client().principal()
        found = [c for c in principal.calendars() if c.get_display_name() == name]
        return found[0] if found else principal.make_calendar(name=name, cal_id=name)

    def events(self, name: str = "work") -> list[str]:
        return [str(e.data) for e in self.calendar(name).events()]


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    root = tmp_path / "radicale"
    root.mkdir()
    (root / "users").write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
    port = free_port()
    (root / "config").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {root / 'users'}\nhtpasswd_encryption = plain\n"
        f"[storage]\nfilesystem_folder = {root / 'collections'}\n"
        "[logging]\nlevel = warning\n",
        encoding="utf-8",
    )
    log = (root / "log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(root / "config")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((root / "log").read_text()) from None
                time.sleep(0.05)
        server = Radicale(port=port, root=root)
        server.calendar("work")
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)
