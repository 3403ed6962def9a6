"""Builds the configured agent. Imported only when a model is configured, so that
rules-only mode never loads the openai client."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from bot.agent.base import Agent
from bot.agent.llm_agent import LLMAgent
from bot.agent.rules_only import RulesOnlyAgent
from bot.config import Settings

Notice = Callable[[str, str], Awaitable[None]]


def build_agent(settings: Settings, *, notice: Notice) -> Agent:
    async def breaker_open(reason: str) -> None:
        # One notice per outage: the key carries the hour the breaker opened in.
        bucket = int(time.time() // 3600)
        await notice(
            f"llm-breaker:{bucket}",
            f"The model at {settings.llm.base_url} is failing ({reason}). I fall back to my rules "
            "and ask you about everything else until it recovers.",
        )

    return LLMAgent.from_settings(settings.llm, fallback=RulesOnlyAgent(), on_breaker_open=breaker_open)
