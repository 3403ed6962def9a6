"""Inbound webhook figures, beside a floor measured in the same run.

  .venv/bin/python bench/webhooks.py [N]

Signed POSTs to the webhook connector (signature, timestamp window, replay check, the
event committed to a real SQLite inbox before the 200), one at a time and 20 at once,
beside the same client against a bare aiohttp handler that answers 200 (the floor: HTTP
on this machine). Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from bot.channels.contract import ConnectorRuntime  # noqa: E402
from bot.owner import OwnerProfile  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.kv import NamespacedState  # noqa: E402
from connectors.webhook import WebhookConnector, WebhookSettings  # noqa: E402
from connectors.webhook.signing import sign  # noqa: E402

SECRET = "bench-secret"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def shoot(url: str, bodies: list[bytes], concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as session:

        async def one(body: bytes) -> None:
            async with gate:
                headers = {"Webhook-Signature": sign(SECRET, int(time.time()), body)}
                began = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(one(b) for b in bodies))
        return time.perf_counter() - began, latencies


async def floor_server() -> tuple[web.AppRunner, str]:
    app = web.Application()

    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True})

    app.router.add_post("/hooks/bench", ok)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/hooks/bench"


async def main(n: int) -> None:
    import os

    os.environ["DEPUTY_BENCH_HOOK"] = SECRET
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "deputy.sqlite3")
        await store.open()
        port = free_port()
        settings = WebhookSettings.model_validate(
            {
                "listen": f"127.0.0.1:{port}",
                "in": {"bench": {"path": "/hooks/bench", "secret_env": "DEPUTY_BENCH_HOOK"}},
            }
        )
        state = NamespacedState(store.kv, "webhook")
        runtime = ConnectorRuntime(
            name="webhook", data_dir=Path(tmp), owner=OwnerProfile(), state=state,
            own_addresses=(), spawn=lambda coro, name: asyncio.ensure_future(coro),
        )  # fmt: skip
        connector = WebhookConnector(name="webhook", settings=settings, runtime=runtime)
        await connector.start(store.inbox.add)
        runner, floor_url = await floor_server()
        url = f"http://127.0.0.1:{port}/hooks/bench"
        print(f"{n} signed POSTs each (JSON ~120 bytes)")
        for concurrency in (1, 20):
            for label, target, tag in (
                ("floor: bare aiohttp 200", floor_url, "f"),
                ("webhook -> inbox -> 200", url, "w"),
            ):
                docs = [
                    {"id": f"{tag}{concurrency}-{i}", "data": {"status": "paid", "amount": i}}
                    for i in range(n)
                ]
                bodies = [json.dumps(d).encode() for d in docs]
                total, lat = await shoot(target, bodies, concurrency)
                p50 = statistics.median(lat) * 1000
                p99 = sorted(lat)[int(0.99 * (len(lat) - 1))] * 1000
                rate = f"{n / total:7.0f} req/s"
                print(f"  c={concurrency:<3} {label:26} {rate}  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
        await connector.stop()
        await runner.cleanup()
        await store.close()
        with sqlite3.connect(Path(tmp) / "deputy.sqlite3") as db:  # read from outside, as the tests do
            stored = db.execute("SELECT COUNT(*) FROM inbox WHERE id LIKE 'webhook:%'").fetchone()[0]
        print(f"  events stored: {stored} (expected {2 * n})")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
