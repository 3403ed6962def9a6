"""The client against the fake server: real openai SDK, real HTTP, no patching."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bot.agent.llm_client import BreakerOpen, LLMClient, LLMUnavailable
from bot.config import LLMSettings
from tests.fakes.openai_api import FakeOpenAI, Step, call, error, text

MSG = [{"role": "user", "content": "hi"}]


async def test_tool_call_and_usage(fake: FakeOpenAI, make_client: Callable[..., LLMClient]) -> None:
    fake.push(call("reply", {"text": "hello"}))
    client = make_client(price_in_per_mtok=2.0, price_out_per_mtok=10.0)
    result = await client.chat(
        MSG,
        tools=[
            {
                "type": "function",
                "function": {"name": "reply", "parameters": {"type": "object", "properties": {}}},
            }
        ],
    )
    assert [(c.name, c.arguments) for c in result.tool_calls] == [("reply", '{"text": "hello"}')]
    assert result.usage.calls == 1 and result.usage.tokens_out == 11
    assert result.usage.tokens_in > 0
    expected = (result.usage.tokens_in * 2.0 + 11 * 10.0) / 1_000_000
    assert result.usage.cost == pytest.approx(expected)
    assert fake.requests[0]["model"] == "fake-model"
    assert fake.requests[0]["tools"][0]["function"]["name"] == "reply"


async def test_429_honours_retry_after(
    fake: FakeOpenAI, make_client: Callable[..., LLMClient], sleeps: Any
) -> None:
    fake.push(error(429, retry_after="3"), text("ok"))
    result = await make_client().chat(MSG)
    assert result.content == "ok" and result.attempts == 2
    assert sleeps.calls == [3.0]


async def test_429_too_long_is_not_waited(
    fake: FakeOpenAI, make_client: Callable[..., LLMClient], sleeps: Any
) -> None:
    fake.push(error(429, retry_after="3600"))
    with pytest.raises(LLMUnavailable, match="429"):
        await make_client(max_retry_after=60).chat(MSG)
    assert sleeps.calls == [] and len(fake.requests) == 1


async def test_500_retried_then_ok(
    fake: FakeOpenAI, make_client: Callable[..., LLMClient], sleeps: Any
) -> None:
    fake.push(error(500), error(503), text("fine"))
    result = await make_client(max_retries=2).chat(MSG)
    assert result.content == "fine" and len(fake.requests) == 3 and len(sleeps.calls) == 2


async def test_500_retries_are_bounded(fake: FakeOpenAI, make_client: Callable[..., LLMClient]) -> None:
    fake.push(*[error(500)] * 5)
    with pytest.raises(LLMUnavailable, match="HTTP 500"):
        await make_client(max_retries=2).chat(MSG)
    assert len(fake.requests) == 3  # one try plus two retries, no more


async def test_400_is_not_retried(fake: FakeOpenAI, make_client: Callable[..., LLMClient]) -> None:
    fake.push(error(400), text("never"))
    with pytest.raises(LLMUnavailable, match="HTTP 400"):
        await make_client().chat(MSG)
    assert len(fake.requests) == 1


async def test_timeout(fake: FakeOpenAI, make_client: Callable[..., LLMClient]) -> None:
    fake.push(text("late", delay=10), text("late", delay=10))
    with pytest.raises(LLMUnavailable, match="timed out"):
        await make_client(timeout_seconds=0.2, max_retries=1).chat(MSG)
    assert len(fake.requests) == 2


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_breaker_opens_tells_once_and_recovers(
    fake: FakeOpenAI, make_client: Callable[..., LLMClient]
) -> None:
    told: list[str] = []
    clock = Clock()

    async def on_open(why: str) -> None:
        told.append(why)

    client = make_client(
        max_retries=0, breaker_failures=2, breaker_reset_seconds=60, on_breaker_open=on_open, clock=clock
    )
    fake.push(error(500), error(500))
    for _ in range(2):
        with pytest.raises(LLMUnavailable):
            await client.chat(MSG)
    assert client.breaker.is_open and len(told) == 1
    sent = len(fake.requests)
    with pytest.raises(BreakerOpen, match="rules-only"):
        await client.chat(MSG)
    assert len(fake.requests) == sent  # no call while open
    clock.now += 61  # half-open: one probe; it fails -> open again, owner not told twice
    fake.push(error(500))
    with pytest.raises(LLMUnavailable):
        await client.chat(MSG)
    assert client.breaker.is_open and len(told) == 1
    with pytest.raises(BreakerOpen):
        await client.chat(MSG)
    clock.now += 61
    fake.push(text("back"))
    assert (await client.chat(MSG)).content == "back"
    assert not client.breaker.is_open
    fake.push(error(500), error(500))  # a new outage is announced again
    for _ in range(2):
        with pytest.raises(LLMUnavailable):
            await client.chat(MSG)
    assert len(told) == 2


async def test_sync_breaker_hook(fake: FakeOpenAI, make_client: Callable[..., LLMClient]) -> None:
    told: list[str] = []
    client = make_client(max_retries=0, breaker_failures=1, on_breaker_open=told.append)
    fake.push(error(502))
    with pytest.raises(LLMUnavailable):
        await client.chat(MSG)
    assert len(told) == 1


async def test_concurrency_is_bounded(fake: FakeOpenAI, make_client: Callable[..., LLMClient]) -> None:
    in_flight = 0
    peak = 0

    async def slow(body: dict[str, Any]) -> Step:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        return text("ok")

    fake.handler = slow
    client = make_client(max_concurrency=3)
    await asyncio.gather(*(client.chat(MSG) for _ in range(12)))
    assert peak <= 3 and len(fake.requests) == 12
    assert client.totals.calls == 12


async def test_from_settings_reads_key_from_env(fake: FakeOpenAI) -> None:
    settings = LLMSettings(enabled=True, base_url=fake.base_url, model="m", api_key_env="MY_KEY_VAR")
    client = LLMClient.from_settings(settings, environ={"MY_KEY_VAR": "sk-from-env"})
    assert client.secrets == ("sk-from-env",)
    keyless = LLMClient.from_settings(settings, environ={})
    assert keyless.secrets == ()
    fake.push(text("local"))
    assert (await keyless.chat(MSG)).content == "local"  # placeholder key works locally
    await client.close()
    await keyless.close()
