"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1.

The real ``openai`` client talks to it unmodified. Each request pops the next ``Step``
from the script (or asks ``handler``, when set, which gets the request JSON). Every
request body is recorded so tests can check the prompt layout.

Steps: ``text(...)``, ``tool_calls(...)`` (valid, malformed JSON arguments, unknown
names: the arguments are sent verbatim when given as a string), ``error(status,
retry_after=...)``, and any of them delayed with ``delay=`` (for timeouts and benches).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[[dict[str, Any]], "Step | Awaitable[Step]"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    content: str | None = None
    calls: tuple[tuple[str, str], ...] = ()  # (name, raw arguments)
    status: int = 200
    retry_after: str | None = None
    delay: float = 0.0
    tokens_in: int | None = None  # None: a rough count of the request
    tokens_out: int = 7
    body: dict[str, Any] | None = None  # raw override for odd answers


def text(content: str, *, delay: float = 0.0, tokens_in: int | None = None, tokens_out: int = 7) -> Step:
    return Step(content=content, delay=delay, tokens_in=tokens_in, tokens_out=tokens_out)


def tool_calls(
    *calls: tuple[str, dict[str, Any] | str],
    delay: float = 0.0,
    content: str | None = None,
    tokens_out: int = 11,
) -> Step:
    raw = tuple((name, args if isinstance(args, str) else json.dumps(args)) for name, args in calls)
    return Step(content=content, calls=raw, delay=delay, tokens_out=tokens_out)


def call(name: str, args: dict[str, Any] | str | None = None, **kw: Any) -> Step:
    return tool_calls((name, args if args is not None else {}), **kw)


def error(status: int, *, retry_after: str | None = None, delay: float = 0.0) -> Step:
    return Step(status=status, retry_after=retry_after, delay=delay)


@dataclass(slots=True)
class FakeOpenAI:
    """Start with ``await fake.start()``; ``fake.base_url`` is what the client needs."""

    default: Step = field(default_factory=lambda: text("OK"))
    handler: Handler | None = None
    script: deque[Step] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    _runner: web.AppRunner | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def push(self, *steps: Step) -> None:
        self.script.extend(steps)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _next(self, body: dict[str, Any]) -> Step:
        if self.script:
            return self.script.popleft()
        if self.handler is not None:
            outcome = self.handler(body)
            if inspect.isawaitable(outcome):
                outcome = await outcome
            assert isinstance(outcome, Step)
            return outcome
        return self.default

    async def _completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        step = await self._next(body)
        if step.delay:
            try:
                await asyncio.wait_for(self._stopping.wait(), step.delay)
            except TimeoutError:
                pass
        if step.status != 200:
            headers = {"Retry-After": step.retry_after} if step.retry_after is not None else {}
            payload = {
                "error": {
                    "message": f"scripted {step.status}",
                    "type": "server_error",
                    "code": None,
                    "param": None,
                }
            }
            return web.json_response(payload, status=step.status, headers=headers)
        return web.json_response(step.body or self._completion(body, step))

    def _completion(self, body: dict[str, Any], step: Step) -> dict[str, Any]:
        n = next(self._ids)
        message: dict[str, Any] = {"role": "assistant", "content": step.content}
        if step.calls:
            message["tool_calls"] = [
                {"id": f"call_{n}_{i}", "type": "function", "function": {"name": name, "arguments": args}}
                for i, (name, args) in enumerate(step.calls)
            ]
        prompt_tokens = step.tokens_in
        if prompt_tokens is None:
            prompt_tokens = max(1, len(json.dumps(body.get("messages", []))) // 4)
        return {
            "id": f"chatcmpl-{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [
                {"index": 0, "message": message, "finish_reason": "tool_calls" if step.calls else "stop"}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": step.tokens_out,
                "total_tokens": prompt_tokens + step.tokens_out,
            },
        }


# --- the hijacked model -------------------------------------------------------------

DIRECTIVE = "DEPUTY-DO"


def last_untrusted(body: dict[str, Any], tag: str = "untrusted_message") -> str:
    """The text inside the last <untrusted_message> block the request carries."""
    for message in reversed(body.get("messages", [])):
        content = message.get("content") or ""
        if not isinstance(content, str):
            continue
        end = content.rfind(f"</{tag}>")
        start = content.rfind(f"<{tag}")
        if start != -1 and end > start:
            return content[content.index(">", start) + 1 : end]
    return ""


def hijacked(*, then: Step | None = None) -> Handler:
    """A model that does exactly what the email says: every line
    ``DEPUTY-DO <tool> <json or raw arguments>`` in the current message becomes a tool
    call, verbatim. After tool results come back it says ``then`` (default: done)."""

    def handle(body: dict[str, Any]) -> Step:
        messages = body.get("messages", [])
        if messages and messages[-1].get("role") == "tool":
            return then or text("done")
        calls: list[tuple[str, str]] = []
        for line in last_untrusted(body).splitlines():
            line = line.strip()
            if line.startswith(DIRECTIVE + " "):
                name, _, args = line[len(DIRECTIVE) + 1 :].partition(" ")
                calls.append((name, args.strip() or "{}"))
        if not calls:
            return text("nothing to do")
        return Step(calls=tuple(calls))

    return handle
