"""Hand-offs between departments, beside the floor measured in the same run.

Runs the shipped example organisation (examples/organisation) in-process with a
recording channel at the far edge. Workload: N discount requests of 150 EUR to sales,
each of which goes sales -> accounts (a question, through the outbox and the internal
channel) and back (the result): three inbox events and two hand-off deliveries per
mail. Floor: N requests of 40 EUR, decided by sales alone (one event, one reply), in
the same run, same daemon code. Prints mails/s and the latency from the customer's mail
in the inbox to the result done at sales. No assertions: figures only.

    .venv/bin/python bench/departments.py [--mails 500]

Writes bench/results/departments.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import Deputy  # noqa: E402
from bot.channels.contract import Emit  # noqa: E402
from bot.config import load  # noqa: E402
from bot.delivery import Delivery  # noqa: E402
from bot.events import Event  # noqa: E402


class RecordingChannel:
    def __init__(self) -> None:
        self.delivered = 0

    async def start(self, emit: Emit) -> None:
        self.emit = emit

    async def stop(self) -> None:
        return None

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        self.delivered += 1
        return {"message_id": str(delivery.payload.get("message_id", ""))}


def request(n: int, amount: int, tag: str) -> Event:
    mid = f"<bench-{tag}-{n}@client.test>"
    return Event(
        id=f"local:{mid}",
        channel="local",
        kind="message",
        thread=mid,
        sender=f"buyer{n}@client.test",
        received_at=datetime.now(UTC),
        recipients=("sales@example.test",),
        subject=f"Order {n}",
        text=f"Could you give us a discount of {amount} EUR on the order?",
        refs={"channel_type": "local", "message_id": mid},
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(root: Path, n: int, *, amount: int, tag: str) -> dict[str, float]:
    shutil.copytree(ROOT / "examples" / "organisation", root)
    cfg = root / "config.toml"
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", RecordingChannel())})
    await deputy.start()
    try:
        t0 = time.perf_counter()
        for start in range(0, n, 100):
            await asyncio.gather(
                *(deputy.emit(request(i, amount, tag)) for i in range(start, min(n, start + 100)))
            )
        while True:
            await deputy.drain(timeout=600)
            await asyncio.sleep(0.05)
            if not await deputy.store.inbox.has_pending() and not await deputy.store.outbox.has_pending():
                break
        seconds = time.perf_counter() - t0
        rows = await deputy.store.db.fetchall("SELECT id, body, created_at, done_at, state FROM inbox")
    finally:
        await deputy.stop()
    started = {r["id"]: r["created_at"] for r in rows if r["id"].startswith("local:")}
    ended: dict[str, float] = {}
    for r in rows:
        body = json.loads(r["body"])
        key = body["refs"].get("handoff_key", "") or body["refs"].get("message_id", "")
        origin = next((i for i in started if i in key or i in r["id"]), None)
        if origin is not None and r["done_at"]:
            ended[origin] = max(ended.get(origin, 0.0), r["done_at"])
    latencies = [(ended[i] - started[i]) * 1000 for i in started if i in ended]
    return {
        "mails": n,
        "inbox_events": len(rows),
        "not_done": sum(1 for r in rows if r["state"] != "done"),
        "seconds": seconds,
        "mails_per_s": n / seconds,
        "latency_ms_p50": percentile(latencies, 0.5),
        "latency_ms_p99": percentile(latencies, 0.99),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        floor = await run(Path(tmp) / "floor", args.mails, amount=40, tag="floor")
        handed = await run(Path(tmp) / "handed", args.mails, amount=150, tag="handed")
    result = {"floor_one_department": floor, "sales_to_accounts_and_back": handed}
    result["ratio_mails_per_s"] = handed["mails_per_s"] / floor["mails_per_s"]
    for name, figures in (("floor: decided by sales alone", floor), ("hand-off and result", handed)):
        print(
            f"{name:32} {figures['mails_per_s']:8.1f} mails/s  p50 {figures['latency_ms_p50']:7.1f} ms  "
            f"p99 {figures['latency_ms_p99']:7.1f} ms  ({figures['inbox_events']} events, "
            f"{figures['not_done']} not done)"
        )
    print(f"hand-off throughput / floor: {result['ratio_mails_per_s']:.2f}")
    out = ROOT / "bench" / "results" / "departments.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
