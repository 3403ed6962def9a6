"""Fixtures for the MCP tests: the accounting/CRM tool server as a real subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import child_env, free_port

TOOL_SERVER = Path(__file__).with_name("tool_server.py")


@dataclass
class ToolServerProcess:
    url: str
    log: Path
    proc: subprocess.Popen[bytes]

    def calls(self, tool: str | None = None) -> list[dict[str, Any]]:
        """Every call the server received, from its own record."""
        if not self.log.exists():
            return []
        lines = [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]
        return [c for c in lines if tool is None or c["tool"] == tool]


@pytest.fixture
def http_tool_server(tmp_path: Path) -> Iterator[ToolServerProcess]:
    port = free_port()
    log = tmp_path / "tool-calls.jsonl"
    proc = subprocess.Popen(
        [sys.executable, str(TOOL_SERVER), "http", str(port)],
        env=child_env({"TOOL_LOG": str(log)}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("tool server did not start") from None
            time.sleep(0.05)
    try:
        yield ToolServerProcess(url=f"http://127.0.0.1:{port}/mcp", log=log, proc=proc)
    finally:
        proc.kill()
        proc.wait()
