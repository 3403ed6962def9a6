"""A small, explicit client for any OpenAI-compatible chat-completions endpoint.

Why not just the SDK's defaults: Deputy must know exactly how often it retries, must never
let a slow or dead model stall the workers, and must fall back to rules-only mode when the
model is down. So the SDK's own retries are off (``max_retries=0``) and this module does:

* a timeout per attempt (``timeout_seconds``);
* bounded retries: 429 waits for Retry-After (capped), 5xx / timeouts / connection errors
  back off exponentially with jitter; other 4xx are not retried;
* a semaphore bounding calls in flight (``max_concurrency``);
* a circuit breaker: after ``breaker_failures`` consecutive failed calls it opens for
  ``breaker_reset_seconds``; callers then get ``BreakerOpen`` at once, and
  ``on_breaker_open`` is called once per outage so the core can tell the owner;
* usage per call (tokens in/out, cost from the configured prices, latency).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import openai
from openai import AsyncOpenAI

from bot import backoff
from bot.config import LLMSettings
from bot.errors import DeputyError

PLACEHOLDER_KEY = "not-needed"  # local servers (Ollama, llama.cpp) accept any key

BreakerHook = Callable[[str], Awaitable[None] | None]


class LLMUnavailable(DeputyError):
    """The model could not answer (retries exhausted or not retryable). The core falls
    back to rules-only handling for this event."""


class BreakerOpen(LLMUnavailable):
    """The circuit breaker is open: no call was made."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # raw JSON text, parsed strictly by bot.agent.tools


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    latency_s: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            tokens_in=self.tokens_in + other.tokens_in,
            tokens_out=self.tokens_out + other.tokens_out,
            cost=self.cost + other.cost,
            latency_s=self.latency_s + other.latency_s,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatResult:
    content: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage
    attempts: int = 1

    def assistant_message(self) -> dict[str, Any]:
        """The message to append to the conversation before the tool results."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content or None}
        if self.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in self.tool_calls
            ]
        return message


@dataclass(slots=True, kw_only=True)
class CircuitBreaker:
    """Closed -> (N consecutive failures) -> open -> (reset seconds) -> half-open: one
    probe call; its success closes the breaker, its failure opens it again."""

    failures: int
    reset_seconds: float
    clock: Callable[[], float] = time.monotonic
    consecutive: int = 0
    opened_at: float | None = None
    probing: bool = False
    _notified: bool = field(default=False, repr=False)

    def before_call(self) -> None:
        if self.opened_at is None:
            return
        remaining = self.opened_at + self.reset_seconds - self.clock()
        if remaining > 0 or self.probing:
            raise BreakerOpen(
                f"LLM circuit breaker open after {self.consecutive} consecutive failures; "
                f"retry in {max(remaining, 0):.0f} s (rules-only mode meanwhile)"
            )
        self.probing = True

    def success(self) -> None:
        self.consecutive = 0
        self.opened_at = None
        self.probing = False
        self._notified = False

    def failure(self) -> bool:
        """Record a failed call; True when this failure should be announced (the
        breaker just opened and the owner has not been told about this outage)."""
        self.consecutive += 1
        self.probing = False
        if self.opened_at is not None or self.consecutive >= self.failures:
            self.opened_at = self.clock()
            if not self._notified:
                self._notified = True
                return True
        return False

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None


def _retry_after(exc: openai.APIStatusError) -> float | None:
    headers = exc.response.headers
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return float(raw_ms) / 1000
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


class LLMClient:
    """One per daemon; safe to share across workers."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_seconds: float = 60.0,
        max_retries: int = 2,
        max_concurrency: int = 32,
        breaker_failures: int = 5,
        breaker_reset_seconds: float = 300.0,
        price_in_per_mtok: float = 0.0,
        price_out_per_mtok: float = 0.0,
        on_breaker_open: BreakerHook | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        max_retry_after: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.model = model
        self.max_retries = max_retries
        self.price_in = price_in_per_mtok
        self.price_out = price_out_per_mtok
        self.on_breaker_open = on_breaker_open
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self.breaker = CircuitBreaker(
            failures=breaker_failures, reset_seconds=breaker_reset_seconds, clock=clock
        )
        self._secret = api_key or ""
        self._sdk = AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or PLACEHOLDER_KEY,
            timeout=timeout_seconds,
            max_retries=0,  # retries are ours, see the module docstring
        )
        self.totals = Usage()

    @classmethod
    def from_settings(
        cls,
        settings: LLMSettings,
        *,
        on_breaker_open: BreakerHook | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> LLMClient:
        """The key comes from the environment variable the settings name, never a file."""
        env = os.environ if environ is None else environ
        return cls(
            base_url=settings.base_url,
            model=settings.model,
            api_key=env.get(settings.api_key_env) or None,
            timeout_seconds=settings.timeout_seconds,
            max_retries=settings.max_retries,
            max_concurrency=settings.max_concurrency,
            breaker_failures=settings.breaker_failures,
            breaker_reset_seconds=settings.breaker_reset_seconds,
            price_in_per_mtok=settings.price_in_per_mtok,
            price_out_per_mtok=settings.price_out_per_mtok,
            on_breaker_open=on_breaker_open,
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a prompt or a log line."""
        return (self._secret,) if self._secret else ()

    async def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        tools: Sequence[Mapping[str, Any]] = (),
        tool_choice: str = "auto",
    ) -> ChatResult:
        """One logical call: retried per the policy above; raises LLMUnavailable."""
        self.breaker.before_call()
        try:
            result = await self._with_retries(messages, tools, tool_choice)
        except LLMUnavailable as exc:
            if self.breaker.failure():
                await self._announce(str(exc))
            raise
        self.breaker.success()
        self.totals = self.totals + result.usage
        return result

    async def _with_retries(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]],
        tool_choice: str,
    ) -> ChatResult:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(messages, tools, tool_choice, attempt)
            except openai.RateLimitError as exc:
                wait = _retry_after(exc)
                if wait is None:
                    wait = self._backoff(attempt)
                if attempt > self.max_retries or wait > self.max_retry_after:
                    raise LLMUnavailable(f"LLM rate-limited (429) after {attempt} attempts") from exc
            except openai.APITimeoutError as exc:
                if attempt > self.max_retries:
                    raise LLMUnavailable(f"LLM timed out after {attempt} attempts") from exc
                wait = self._backoff(attempt)
            except openai.APIConnectionError as exc:
                if attempt > self.max_retries:
                    raise LLMUnavailable(f"LLM unreachable after {attempt} attempts") from exc
                wait = self._backoff(attempt)
            except openai.APIStatusError as exc:
                if exc.status_code < 500 or attempt > self.max_retries:
                    raise LLMUnavailable(
                        f"LLM answered HTTP {exc.status_code} after {attempt} attempts"
                    ) from exc
                wait = self._backoff(attempt)
            except openai.OpenAIError as exc:  # malformed response and the like
                raise LLMUnavailable(f"LLM call failed: {type(exc).__name__}") from exc
            await self._sleep(wait)

    def _backoff(self, attempt: int) -> float:
        return backoff.delay(attempt - 1, base=self.backoff_base, cap=self.backoff_max)

    async def _attempt(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]],
        tool_choice: str,
        attempt: int,
    ) -> ChatResult:
        kwargs: dict[str, Any] = {"model": self.model, "messages": list(messages)}
        if tools:
            kwargs["tools"] = list(tools)
            kwargs["tool_choice"] = tool_choice
        async with self._semaphore:
            started = time.perf_counter()
            response = await self._sdk.chat.completions.create(**kwargs)
            latency = time.perf_counter() - started
        if not response.choices:
            raise openai.OpenAIError("response has no choices")
        message = response.choices[0].message
        calls: list[ToolCall] = []
        for call in message.tool_calls or ():
            function = getattr(call, "function", None)
            calls.append(
                ToolCall(
                    id=call.id,
                    name=getattr(function, "name", "") or "",
                    arguments=getattr(function, "arguments", "") or "",
                )
            )
        tokens_in = response.usage.prompt_tokens if response.usage else 0
        tokens_out = response.usage.completion_tokens if response.usage else 0
        usage = Usage(
            calls=1,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost=(tokens_in * self.price_in + tokens_out * self.price_out) / 1_000_000,
            latency_s=latency,
        )
        return ChatResult(
            content=message.content or "", tool_calls=tuple(calls), usage=usage, attempts=attempt
        )

    async def _announce(self, why: str) -> None:
        if self.on_breaker_open is None:
            return
        outcome = self.on_breaker_open(why)
        if inspect.isawaitable(outcome):
            await outcome

    async def close(self) -> None:
        await self._sdk.close()
