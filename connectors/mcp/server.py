"""Deputy as an MCP server (``[mcp_server] enabled = true``): streamable HTTP on 127.0.0.1.

Other agents read what is pending and what Deputy did, and ask Deputy to act. Every
request must carry ``Authorization: Bearer <token>`` (the token from the environment
variable ``token_env``); anything else gets 401 before the MCP layer sees it.

Asking is not commanding: ``ask_deputy`` becomes an inbound ``message`` event from a
correspondent named ``agent:<name>`` on channel ``mcp_server``, never the owner. Rules
match it like any correspondent's message (``when.channel = ["mcp_server"]``) and the
gate checks what Deputy does about it; Deputy's replies are kept for ``read_replies``.
Answering the owner's questions stays with the owner: the questions are shown without
their nonces or options' actions.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import socket
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.channels.contract import Emit
from bot.config import McpServeSettings
from bot.delivery import Delivery
from bot.errors import ConfigError, PermanentError, TransientError
from bot.events import Event
from bot.store import Store

log = logging.getLogger("deputy.mcp_server")

CHANNEL = "mcp_server"
MAX_TEXT = 20_000
MAX_REPLIES = 50  # kept per thread


def _bearer_guard(app: Any, token: str) -> Any:
    """An ASGI wrapper: HTTP requests without the token get 401 (RFC 6750 section 3)."""
    expected = f"Bearer {token}".encode()

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, expected):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"www-authenticate", b"Bearer"), (b"content-type", b"text/plain")],
                    }
                )
                await send({"type": "http.response.body", "body": b"unauthorized\n"})
                return
        await app(scope, receive, send)

    return guarded


class DeputyServer:
    """A connector named ``mcp_server``: intake is the ``ask_deputy`` tool, delivery
    keeps Deputy's replies for ``read_replies``; ``run()`` serves (supervised)."""

    name = CHANNEL

    def __init__(self, *, settings: McpServeSettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.token = os.environ.get(settings.token_env, "")
        if not self.token:
            raise ConfigError(f"mcp_server.token_env: environment variable {settings.token_env} is not set")
        self._emit: Emit | None = None
        self._server: Any = None
        self._socket: socket.socket | None = None
        self._stopping = False

    async def start(self, emit: Emit) -> None:
        """Binds the port now: a port that is taken fails the start, with its reason."""
        self._emit = emit
        self._bind()

    def _bind(self) -> socket.socket:
        if self._socket is not None and self._socket.fileno() != -1:
            return self._socket
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self.settings.port))
        except OSError:
            sock.close()
            raise
        self._socket = sock
        return sock

    async def stop(self) -> None:
        self._stopping = True
        if self._server is not None:
            # uvicorn closes the listening socket itself. Closed under it, its shutdown
            # fails on the fd of -1 and leaves the fd in the loop's selector, where a file
            # that reuses the number is then never polled.
            self._server.should_exit = True
        else:
            self._close_socket()

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        if delivery.op != "send":
            raise PermanentError(f"{CHANNEL}: cannot {delivery.op!r}")
        thread = str(delivery.payload.get("thread") or delivery.payload.get("refs", {}).get("thread", ""))
        key = f"replies:{thread}"
        kept = json.loads(await self.store.kv.get(f"{CHANNEL}:{key}") or "[]")
        if not any(r.get("key") == delivery.key for r in kept):
            kept.append({"key": delivery.key, "text": str(delivery.payload.get("text", ""))})
        await self.store.kv.set(f"{CHANNEL}:{key}", json.dumps(kept[-MAX_REPLIES:]))
        return {"thread": thread}

    # ----- the tools ---------------------------------------------------------------------
    async def pending_questions(self) -> list[dict[str, Any]]:
        return [
            {
                "id": e.id,
                "question": e.question,
                "options": list(e.options),
                "rule": e.rule,
                "asked_at": datetime.fromtimestamp(e.created_at, UTC).isoformat(timespec="seconds"),
                "deadline": datetime.fromtimestamp(e.deadline, UTC).isoformat(timespec="seconds"),
            }
            for e in await self.store.escalations.open()
        ]

    async def recent_activity(self, limit: int = 20) -> list[dict[str, Any]]:
        entries = await self.store.audit.recent(limit=max(1, min(limit, 200)))
        return [
            {
                "outcome": a.outcome,
                "channel": a.channel,
                "subject": a.subject,
                "rule": a.rule,
                "actions": list(a.actions),
                "blocked": list(a.blocked),
                "at": datetime.fromtimestamp(a.at, UTC).isoformat(timespec="seconds"),
            }
            for a in entries
        ]

    async def ask_deputy(
        self, agent: str, text: str, subject: str = "", request_id: str = ""
    ) -> dict[str, str]:
        if self._emit is None:
            raise TransientError("not started")
        request_id = request_id or uuid.uuid4().hex
        natural = hashlib.sha256(f"{agent}\0{request_id}".encode()).hexdigest()[:32]
        thread = f"{agent}:{natural[:16]}"
        await self._emit(
            Event(
                id=f"{CHANNEL}:{natural}",
                channel=CHANNEL,
                kind="message",
                thread=thread,
                sender=f"agent:{agent}"[:200],
                sender_verified_owner=False,  # never the owner, whatever the text says
                received_at=datetime.now(UTC),
                subject=subject[:500],
                text=text[:MAX_TEXT],
                refs={"channel_type": CHANNEL, "thread": thread},
            )
        )
        return {"thread": thread, "status": "accepted: Deputy acts on it within its rules"}

    async def read_replies(self, thread: str) -> list[str]:
        kept = json.loads(await self.store.kv.get(f"{CHANNEL}:replies:{thread}") or "[]")
        return [str(r.get("text", "")) for r in kept]

    # ----- serving -------------------------------------------------------------------
    def _app(self) -> Any:
        from mcp.server import MCPServer

        mcp = MCPServer("deputy", log_level="WARNING")
        mcp.tool(description="The owner's open questions (read-only).")(self.pending_questions)
        mcp.tool(description="What Deputy did recently (read-only).")(self.recent_activity)
        mcp.tool(
            description="Ask Deputy to act, as a correspondent named 'agent'. Deputy acts within its "
            "rules, like on any correspondent's message; read its answers with read_replies."
        )(self.ask_deputy)
        mcp.tool(description="Deputy's replies in a thread returned by ask_deputy.")(self.read_replies)
        app = mcp.streamable_http_app(stateless_http=True, json_response=True, host="127.0.0.1")
        return _bearer_guard(app, self.token)

    async def run(self) -> None:
        import uvicorn

        if self._stopping:
            return
        config = uvicorn.Config(
            self._app(),
            host="127.0.0.1",
            port=self.settings.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=5,  # a client that keeps its request open does not hold the stop
        )
        server = uvicorn.Server(config)
        # The daemon owns SIGINT/SIGTERM (bot/shutdown.py run_until_signalled).
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        self._server = server
        try:
            await server.serve(sockets=[self._bind()])
        except SystemExit as exc:  # uvicorn exits the process when it cannot start
            raise OSError(f"Deputy's MCP server on 127.0.0.1:{self.settings.port} could not start") from exc
        finally:
            self._server = None
            self._close_socket()
        if not self._stopping:
            raise OSError(f"Deputy's MCP server on 127.0.0.1:{self.settings.port} stopped")
