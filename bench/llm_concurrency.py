"""How LLMAgent behaves under load against a model that takes 1 s per answer.

Prints figures only (no assertions): 200 concurrent decide() calls through LLMAgent,
beside the serial estimate (200 x 1 s) and the floor measured in the same run (200 raw
concurrent openai calls to the same stub), then per-event LLM calls and tokens, and the
deterministic paths that make no model call at all.

Run from the repository root:  .venv/bin/python bench/llm_concurrency.py
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openai import AsyncOpenAI

from bot.agent.llm_agent import LLMAgent
from bot.agent.llm_client import LLMClient
from tests.agent.support import context, event
from tests.fakes.openai_api import FakeOpenAI, call

N = 200
LATENCY = 1.0


async def floor(fake: FakeOpenAI | _Remote) -> float:
    sdk = AsyncOpenAI(base_url=fake.base_url, api_key="x", max_retries=0)
    started = time.perf_counter()
    await asyncio.gather(
        *(
            sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
            for _ in range(N)
        )
    )
    elapsed = time.perf_counter() - started
    await sdk.close()
    return elapsed


class _Remote:
    """The stub model in its own process, as a real model server would be: its CPU time
    must not be charged to the client being measured (2 cores on the project machine)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url


def _serve(latency: float, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    async def run() -> None:
        fake = FakeOpenAI()
        fake.handler = lambda body: call(
            "reply", {"text": "Thanks, it will be paid this week."}, delay=latency
        )
        await fake.start()
        queue.put(fake.base_url)
        await asyncio.Event().wait()

    asyncio.run(run())


async def run_agents(
    fake: FakeOpenAI | _Remote, concurrency: int
) -> tuple[float, list[int], list[int], list[int]]:
    client = LLMClient(base_url=fake.base_url, model="fake", timeout_seconds=30, max_concurrency=concurrency)
    agent = LLMAgent(client)
    ctxs = [
        context(event(f"Invoice {i} attached", subject=f"Invoice {i}", thread=f"t{i}"), "invoices")
        for i in range(N)
    ]
    started = time.perf_counter()
    decisions = await asyncio.gather(*(agent.decide(c) for c in ctxs))
    elapsed = time.perf_counter() - started
    await agent.close()
    return (
        elapsed,
        [d.llm_calls for d in decisions],
        [d.tokens_in for d in decisions],
        [d.tokens_out for d in decisions],
    )


async def deterministic_paths() -> tuple[float, int]:
    """Paths that never reach the model: a negotiation the code must escalate."""
    client = LLMClient(base_url="http://127.0.0.1:9/v1", model="none")  # never called
    agent = LLMAgent(client)
    ctxs = [
        context(event("300 EUR is my final offer", subject="price", thread=f"n{i}"), "sales")
        for i in range(N)
    ]
    started = time.perf_counter()
    decisions = await asyncio.gather(*(agent.decide(c) for c in ctxs))
    elapsed = time.perf_counter() - started
    await agent.close()
    return elapsed, sum(d.llm_calls for d in decisions)


async def through_the_daemon(base_url: str) -> tuple[float, int]:
    """The same 200 events through the whole pipeline: inbox, workers, agent, gate, outbox."""
    import tempfile

    from bot.app import Deputy
    from bot.config import load
    from tests.core.conftest import RecordingChannel, make_home
    from tests.core.helpers import mail

    home = Path(tempfile.mkdtemp(prefix="deputy-bench-"))
    cfg = make_home(
        home, workers=200, extra_config=f'[llm]\nenabled = true\nbase_url = "{base_url}"\nmodel = "stub"\n'
    )
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    try:
        events = [
            mail(
                sender=f"buyer{i}@client.com",
                subject=f"Price for the package {i}?",
                text="What would the package cost?",
                thread=f"bench-{i}",
            )
            for i in range(N)
        ]
        started = time.perf_counter()
        for e in events:
            await deputy.emit(e)
        await deputy.drain(timeout=120)
        elapsed = time.perf_counter() - started
        rows = await deputy.store.db.fetchone("SELECT SUM(llm_calls) FROM audit")
        return elapsed, int(rows[0] or 0) if rows else 0
    finally:
        await deputy.stop()


def start_stub() -> tuple[_Remote, multiprocessing.process.BaseProcess]:
    """The 1 s stub model in a process of its own; terminate the process when done."""
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[str] = context.Queue()
    server = context.Process(target=_serve, args=(LATENCY, queue), daemon=True)
    server.start()
    return _Remote(queue.get(timeout=30)), server


async def main() -> None:
    fake, server = start_stub()
    try:
        raw = await floor(fake)
        print(f"model latency per call: {LATENCY:.1f} s; events: {N} (stub model in its own process)")
        print(f"serial estimate:                         {N * LATENCY:7.2f} s")
        print(f"floor: {N} raw concurrent openai calls:   {raw:7.2f} s")
        for concurrency in (N, 32):
            elapsed, calls, tin, tout = await run_agents(fake, concurrency)
            print(
                f"LLMAgent.decide x{N}, max_concurrency={concurrency:3d}: {elapsed:7.2f} s "
                f"({N * LATENCY / elapsed:5.1f}x faster than serial)"
            )
            print(
                f"  per event: llm_calls={statistics.mean(calls):.2f}, "
                f"tokens_in={statistics.mean(tin):.0f}, tokens_out={statistics.mean(tout):.0f}"
            )
        daemon_s, daemon_calls = await through_the_daemon(fake.base_url)
        print(f"{N} events through the daemon (defaults): {daemon_s:7.2f} s, LLM calls {daemon_calls}")
        det, det_calls = await deterministic_paths()
        print(f"negotiation escalated by code x{N}:     {det:7.3f} s, LLM calls: {det_calls}")
        print(
            "rules-only (template) rules: the core does not call the LLM agent at all for "
            "them; their cost is the gate and the outbox only."
        )
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    asyncio.run(main())
