"""MCP tool-call figures, each beside its floor measured in the same run.

  .venv/bin/python bench/mcp_calls.py [N]

One tool server (tests/mcp/tool_server.py) over streamable HTTP on 127.0.0.1:
1. N sequential calls through Deputy's connector (session loop, key in arguments and
   _meta, the result event) beside N calls through a bare ``mcp.Client`` on the same
   server: the floor is the SDK and the server.
2. Stdio connect + initialise + list through the connector's session loop beside a bare
   client's connect + list (process spawn dominates both).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from mcp import Client, StdioServerParameters  # noqa: E402

from bot.config import McpServerSettings  # noqa: E402
from bot.delivery import Delivery  # noqa: E402
from bot.events import Event  # noqa: E402
from bot.tool_catalog import ToolCatalog  # noqa: E402
from connectors.mcp import create_tool_connector  # noqa: E402

SERVER = ROOT / "tests" / "mcp" / "tool_server.py"
ARGS = {"contact": "acme", "text": "bench"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ms(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"p50 {statistics.median(xs) * 1000:.1f} ms, p99 {xs[int(len(xs) * 0.99) - 1] * 1000:.1f} ms"


async def _http(url: str, n: int) -> None:
    floor = []
    async with Client(url) as client:
        for _ in range(n):
            t = time.perf_counter()
            await client.call_tool("add_note", ARGS)
            floor.append(time.perf_counter() - t)
    connector = create_tool_connector(name="crm", settings=McpServerSettings(url=url), catalog=ToolCatalog())

    async def emit(event: Event) -> bool:
        return True

    await connector.start(emit)
    loop = asyncio.create_task(connector.server.run())
    ours = []
    for i in range(n):
        row = Delivery(
            key=f"bench:{i}", connector="mcp:crm", op="call", payload={"tool": "add_note", "arguments": ARGS}
        )
        t = time.perf_counter()
        await connector.deliver(row)
        ours.append(time.perf_counter() - t)
    await connector.stop()
    await loop
    print(f"HTTP call, {n} sequential: Deputy's connector {_ms(ours)}; bare mcp.Client {_ms(floor)}")


async def _stdio(env: dict[str, str]) -> None:
    command = [sys.executable, str(SERVER), "stdio"]
    t = time.perf_counter()
    async with Client(StdioServerParameters(command=command[0], args=command[1:], env=env)) as client:
        await client.list_tools()
    floor = time.perf_counter() - t
    os.environ["BENCH_TOOL_LOG"] = env["TOOL_LOG"]
    settings = McpServerSettings(command=command, env={"TOOL_LOG": "BENCH_TOOL_LOG"})
    connector = create_tool_connector(name="crm", settings=settings, catalog=ToolCatalog())
    t = time.perf_counter()
    loop = asyncio.create_task(connector.server.run())
    await connector.server.connected(wait=60)
    ours = time.perf_counter() - t
    await connector.stop()
    await loop
    print(f"stdio connect+list: Deputy's session loop {ours:.2f} s; bare mcp.Client {floor:.2f} s")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TOOL_LOG": str(Path(tmp) / "calls.jsonl"), "PYTHONPATH": str(ROOT)}
        port = _port()
        proc = subprocess.Popen([sys.executable, str(SERVER), "http", str(port)], env=env)
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            asyncio.run(_http(f"http://127.0.0.1:{port}/mcp", n))
            asyncio.run(_stdio(env))
        finally:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
