"""Fixtures for the agent tests: a live fake OpenAI server and clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.agent.llm_agent import LLMAgent
from bot.agent.llm_client import LLMClient
from tests.fakes.openai_api import FakeOpenAI

from .support import API_KEY


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.stop()


class Sleeps:
    """Records requested back-off sleeps instead of waiting: no test waits on a clock."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def make_client(fake: FakeOpenAI, sleeps: Sleeps) -> AsyncIterator[Callable[..., LLMClient]]:
    made: list[LLMClient] = []

    def build(**kw: Any) -> LLMClient:
        options: dict[str, Any] = {
            "base_url": fake.base_url,
            "model": "fake-model",
            "api_key": API_KEY,
            "timeout_seconds": 5.0,
            "max_retries": 2,
            "sleep": sleeps,
        }
        options.update(kw)
        client = LLMClient(**options)
        made.append(client)
        return client

    yield build
    for client in made:
        await client.close()


@pytest.fixture
def agent(make_client: Callable[..., LLMClient]) -> LLMAgent:
    return LLMAgent(make_client(), max_steps=6)
