"""Deputy as an MCP server, and a stdio tool server the daemon supervises: through the
real daemon, with the real MCP client over streamable HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.e2e.conftest import Home, free_port, make_home, wait_until
from tests.e2e.servers import Threaded
from tests.fakes.openai_api import FakeOpenAI, Step, text, tool_calls
from tests.mcp.conftest import TOOL_SERVER

TOKEN = "mcp-test-token-5b1f0c"
RULE = """+++
priority = 100
when.channel = ["mcp_server"]
may = ["mcp:crm.add_note", "reply"]

[tools."crm.add_note"]
contact = { values = ["acme"] }
+++
Other agents may ask to note things about Acme in the CRM.
"""


def _model(body: dict[str, Any]) -> Step:
    messages = body["messages"]
    if any(m.get("role") == "tool" for m in messages):
        return text("Done.")
    if "NOTE" in json.dumps(messages):
        return tool_calls(
            ("mcp__crm__add_note", {"contact": "acme", "text": "called about renewal"}),
            ("reply", {"text": "Noted in the CRM."}),
        )
    return text("Nothing to do.")


@pytest.fixture
def llm() -> Iterator[Threaded[FakeOpenAI]]:
    server = Threaded(lambda: FakeOpenAI(handler=_model))
    try:
        yield server
    finally:
        server.close()


def _calls(log: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []


async def _use(url: str, token: str | None, tool: str, args: dict[str, Any]) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    transport = streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers))
    async with Client(transport) as client:  # type: ignore[arg-type]
        result = await client.call_tool(tool, args)
        assert not result.is_error, result
        return result.structured_content or [c.text for c in result.content]  # type: ignore[union-attr]


def _refusal(url: str, token: str | None) -> str:
    """What the client raised (the SDK wraps the HTTP error in exception groups)."""
    try:
        asyncio.run(_use(url, token, "pending_questions", {}))
    except BaseException as exc:  # an ExceptionGroup is no Exception subclass here
        found, todo = [], [exc]
        while todo:
            e = todo.pop()
            found.append(str(e))
            todo.extend(getattr(e, "exceptions", ()))
            todo.extend(x for x in (e.__cause__, e.__context__) if x is not None)
        return " ".join(found)
    raise AssertionError("the server answered a client without the token")


def test_deputy_serves_mcp_with_a_token_and_supervises_a_stdio_server(
    tmp_path: Path, llm: Threaded[FakeOpenAI]
) -> None:
    home: Home = make_home(tmp_path / "deputy")
    log = tmp_path / "crm-calls.jsonl"
    port = free_port()
    (home.root / "rules" / "crm.md").write_text(RULE, encoding="utf-8")
    with home.config.open("a", encoding="utf-8") as f:
        f.write(
            "[llm]\n"
            "enabled = true\n"
            f'base_url = "{llm.fake.base_url}"\n'
            'model = "test-model"\n'
            "max_retries = 0\n"
            "[mcp.crm]\n"
            f"command = {json.dumps([sys.executable, str(TOOL_SERVER), 'stdio'])}\n"
            'env = { TOOL_LOG = "CRM_TOOL_LOG" }\n'
            'ping_every = "1s"\n'
            "[mcp_server]\n"
            "enabled = true\n"
            f"port = {port}\n"
            'token_env = "DEPUTY_MCP_TOKEN"\n'
        )
    home.env.update({"DEPUTY_MCP_TOKEN": TOKEN, "CRM_TOOL_LOG": str(log)})
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        home.start()
        wait_until(lambda: "mcp server crm: 3 tools" in home.last_log(), timeout=60)

        # Without the token, or with a wrong one: refused before any tool runs.
        for token in (None, "wrong"):
            assert "Server returned an error response" in _refusal(url, token)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            assert httpx2.post(url, json={}, headers=headers).status_code == 401
        # With the token: Deputy answers, and a request to act is a correspondent's.
        assert asyncio.run(_use(url, TOKEN, "pending_questions", {})) is not None
        asked = asyncio.run(_use(url, TOKEN, "ask_deputy", {"agent": "ops", "text": "NOTE the renewal call"}))
        assert "accepted" in json.dumps(asked)
        wait_until(lambda: _calls(log), timeout=60)
        (row,) = home.query(
            "SELECT sender, body FROM inbox WHERE channel = 'mcp_server' AND kind = 'message'"
        )
        assert row["sender"] == "agent:ops"
        assert json.loads(row["body"])["sender_verified_owner"] is False
        assert [c["arguments"] for c in _calls(log)] == [{"contact": "acme", "text": "called about renewal"}]
        thread = asked["thread"]
        wait_until(
            lambda: "Noted" in json.dumps(asyncio.run(_use(url, TOKEN, "read_replies", {"thread": thread}))),
            timeout=60,
        )
        activity = asyncio.run(_use(url, TOKEN, "recent_activity", {"limit": 5}))
        assert "call crm.add_note" in json.dumps(activity)

        # The stdio server dies: the daemon restarts it and tells the owner once.
        os.kill(_calls(log)[0]["pid"], signal.SIGKILL)
        whole_log = home.log_files[-1]
        wait_until(lambda: whole_log.read_text().count("mcp server crm: 3 tools") >= 2, timeout=60)
        notices = (home.data / "owner.log").read_text().count("Deputy's mcp:crm stopped working")
        assert notices == 1
        assert "No rule covers" not in (home.data / "owner.log").read_text()  # the result is no question
        # Stopped at once after the restart: the stop ends (a stuck one exits 70, naming
        # what it waited on, in the log's tail).
        assert home.stop() == 0, whole_log.read_text()[-8000:]
        # The token is a secret: never in the log or the database.
        assert TOKEN not in whole_log.read_text()
        assert TOKEN.encode() not in home.db_path.read_bytes()
    finally:
        home.cleanup()


async def test_a_taken_port_fails_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from bot.config import McpServeSettings
    from bot.store import Store
    from connectors.mcp import create_deputy_server

    monkeypatch.setenv("DEPUTY_MCP_TOKEN", TOKEN)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = create_deputy_server(
            settings=McpServeSettings(enabled=True, port=port), store=Store(tmp_path / "d.sqlite3")
        )

        async def emit(event: object) -> bool:
            return True

        with pytest.raises(OSError, match="in use"):
            await server.start(emit)


async def test_a_stop_ends_the_server_cleanly_and_leaves_the_loop_polling_new_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listening socket is uvicorn's to close: closed under it, its shutdown failed and
    left the socket's fd in the loop's selector, so the next socket given that number was
    never polled and a read on it waited for ever (a daemon's stop hung that way)."""
    import socket

    from bot.config import McpServeSettings
    from bot.store import Store
    from connectors.mcp import create_deputy_server

    monkeypatch.setenv("DEPUTY_MCP_TOKEN", TOKEN)
    port = free_port()
    server = create_deputy_server(
        settings=McpServeSettings(enabled=True, port=port), store=Store(tmp_path / "d.sqlite3")
    )

    async def emit(event: object) -> bool:
        return True

    await server.start(emit)
    serving = asyncio.create_task(server.run())
    async with httpx2.AsyncClient() as client:
        for _ in range(200):
            try:
                refused = await client.post(f"http://127.0.0.1:{port}/mcp", json={})
                break
            except httpx2.TransportError:
                await asyncio.sleep(0.05)
    assert refused.status_code == 401
    await server.stop()
    await asyncio.wait_for(serving, timeout=30)  # returns: no error from uvicorn's shutdown

    loop = asyncio.get_running_loop()
    # The lowest free numbers go first: the old fd is among these. Each end reads what
    # the other writes.
    pairs = [socket.socketpair() for _ in range(16)]
    ends = [(a, b) for a, b in pairs] + [(b, a) for a, b in pairs]
    try:
        for reader, _ in ends:
            reader.setblocking(False)
        received = [asyncio.ensure_future(loop.sock_recv(reader, 1)) for reader, _ in ends]
        await asyncio.sleep(0.01)  # nothing to read yet: the loop polls each fd
        for _, writer in ends:
            writer.send(b"x")
        assert await asyncio.wait_for(asyncio.gather(*received), timeout=10) == [b"x"] * len(ends)
    finally:
        for a, b in pairs:
            a.close()
            b.close()
