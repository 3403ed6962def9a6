"""Pipeline throughput and latency, beside the raw SQLite floor measured in the same run.

Pushes N rules-only events (supplier invoices: file + template reply; no two with the
same subject or body, ``bench/mail_mix.py``) through the real
Deputy core in-process, with a recording channel at the far edge, and reports events/s
and the latency from emit to "event done" (inbox created_at -> done_at). Then runs the
same durable workload with stdlib sqlite3 (WAL, synchronous=NORMAL, one commit per step:
insert the event; claim it; write its two outbox rows (file, reply) + audit row and mark it
done) and prints the ratio. No assertions: figures only.

Events arrive the way the connectors hand them over: a page at a time (``--page``, 100
by default: a Telegram getUpdates page; IMAP intake emits a FETCH chunk of 50 the same
way), each page's emits concurrent, so the inbox commits a page in one transaction, and
every emit still returns only after the commit that holds its event. The run with
``--page 1`` (one emit at a time, each waiting for its own commit) is printed too: it is
bounded by the latency of one commit, not by the pipeline's capacity.

    .venv/bin/python bench/pipeline.py [--events 5000] [--page 100] [--loop uvloop|asyncio] [--profile]

Writes bench/results/pipeline.json.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from mail_mix import invoice_mail  # noqa: E402

from bot import event_loop  # noqa: E402
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


def make_event(n: int) -> Event:
    mid = f"<bench-{n}@acme-supplies.com>"
    return Event(
        id=f"local:{mid}",
        channel="local",
        kind="message",
        thread=mid,
        sender=f"ap{n}@acme-supplies.com",  # unique: the per-correspondent cap stays out of it
        received_at=datetime.now(UTC),
        recipients=("deputy@localhost",),
        # Eight shapes of invoice mail, each event its own figures (bench/mail_mix.py), all
        # within the invoices rule's amount limit: filed and answered, as before the facts.
        **invoice_mail(n),
        headers={},
        refs={"channel_type": "local", "message_id": mid, "path": f"INBOX/{n}.eml"},
    )


def make_home(root: Path) -> Path:
    shutil.copytree(ROOT / "rules", root / "rules")
    cfg = root / "config.toml"
    cfg.write_text(
        '[deputy]\ndata_dir = "data"\nrules_dir = "rules"\naddresses = ["deputy@localhost"]\n'
        'log_level = "WARNING"\n[digest]\nenabled = false\n',
        encoding="utf-8",
    )
    return cfg


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_pipeline(root: Path, n: int, *, page: int) -> dict[str, float]:
    cfg = make_home(root)
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    events = [make_event(i) for i in range(n)]
    try:
        t0, cpu0 = time.perf_counter(), time.thread_time()
        for start in range(0, n, page):
            await asyncio.gather(*(deputy.emit(event) for event in events[start : start + page]))
        emitted = time.perf_counter()
        while await deputy.store.inbox.has_pending():  # noqa: ASYNC110 (polling is the measurement)
            await asyncio.sleep(0.01)
        done, cpu_done = time.perf_counter(), time.thread_time()
        await deputy.drain(timeout=600)
        delivered = time.perf_counter()
        rows = await deputy.store.db.fetchall(
            "SELECT state, created_at, done_at FROM inbox WHERE id LIKE 'local:<bench-%'"
        )
        states = {r["state"] for r in rows}
        outbox = await deputy.store.outbox.counts()
    finally:
        await deputy.stop()
    latencies = [(r["done_at"] - r["created_at"]) * 1000 for r in rows if r["done_at"]]
    return {
        "events": n,
        "page": page,
        "events_done": sum(1 for r in rows if r["state"] == "done"),
        "states": sorted(states),  # type: ignore[dict-item]
        "outbox": outbox,  # type: ignore[dict-item]
        "emit_seconds": emitted - t0,
        "seconds_to_done": done - t0,
        "seconds_to_delivered": delivered - t0,
        "events_per_s": n / (done - t0),
        "events_per_s_incl_delivery": n / (delivered - t0),
        # The loop's own thread: what a shared machine's load moves least (no waiting).
        "main_thread_cpu_us_per_event": (cpu_done - cpu0) * 1e6 / n,
        "latency_ms_p50": percentile(latencies, 0.50),
        "latency_ms_p99": percentile(latencies, 0.99),
        "latency_ms_mean": statistics.fmean(latencies),
        "deliveries": channel.delivered,
    }


RAW_SCHEMA = """
CREATE TABLE inbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
  channel TEXT, kind TEXT, thread TEXT, sender TEXT, body TEXT, state TEXT DEFAULT 'pending',
  attempts INTEGER DEFAULT 0, created_at REAL, done_at REAL);
CREATE INDEX inbox_state ON inbox(state, seq);
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
  event_id TEXT, payload TEXT, state TEXT DEFAULT 'pending', created_at REAL);
CREATE INDEX outbox_state ON outbox(state, seq);
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL, event_id TEXT,
  outcome TEXT, reasons TEXT);
"""


def run_raw(root: Path, n: int) -> dict[str, float]:
    """The floor: the same durable steps with stdlib sqlite3 and nothing else."""
    conn = sqlite3.connect(root / "raw.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(RAW_SCHEMA)
    events = [make_event(i) for i in range(n)]
    bodies = [e.to_json() for e in events]
    t0 = time.perf_counter()
    for event, body in zip(events, bodies, strict=True):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT OR IGNORE INTO inbox (id, channel, kind, thread, sender, body, created_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (event.id, event.channel, event.kind, event.thread, event.sender, body, time.time()),
        )
        conn.execute("COMMIT")
    for event in events:
        conn.execute("BEGIN IMMEDIATE")
        seq = conn.execute("SELECT seq FROM inbox WHERE state='pending' ORDER BY seq LIMIT 1").fetchone()[0]
        conn.execute("UPDATE inbox SET state='processing', attempts=attempts+1 WHERE seq=?", (seq,))
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")
        for op in ("file", "reply"):  # the rule files the invoice and replies: two side effects
            conn.execute(
                "INSERT INTO outbox (key, event_id, payload, created_at) VALUES (?,?,?,?)",
                (f"{event.id}:{op}", event.id, json.dumps({"op": op, "subject": event.subject}), time.time()),
            )
        conn.execute(
            "INSERT INTO audit (at, event_id, outcome, reasons) VALUES (?,?,?,?)",
            (time.time(), event.id, "handled", "[]"),
        )
        conn.execute("UPDATE inbox SET state='done', done_at=? WHERE seq=?", (time.time(), seq))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return {"events": n, "seconds": elapsed, "events_per_s": n / elapsed}


async def run_raw_aiosqlite(root: Path, n: int) -> dict[str, float]:
    """The same steps through aiosqlite (one thread hop per statement), sequentially:
    what the driver alone costs, below which our pipeline cannot go without batching."""
    import aiosqlite

    conn = await aiosqlite.connect(root / "raw-aio.sqlite3", isolation_level=None)
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.executescript(RAW_SCHEMA)
    events = [make_event(i) for i in range(n)]
    t0 = time.perf_counter()
    for event in events:
        await conn.execute("BEGIN IMMEDIATE")
        await conn.execute(
            "INSERT OR IGNORE INTO inbox (id, channel, kind, thread, sender, body, created_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (event.id, event.channel, event.kind, event.thread, event.sender, event.to_json(), time.time()),
        )
        await conn.execute("COMMIT")
    for event in events:
        await conn.execute("BEGIN IMMEDIATE")
        cur = await conn.execute("SELECT seq FROM inbox WHERE state='pending' ORDER BY seq LIMIT 1")
        row = await cur.fetchone()
        assert row is not None
        seq = row[0]
        await conn.execute("UPDATE inbox SET state='processing', attempts=attempts+1 WHERE seq=?", (seq,))
        await conn.execute("COMMIT")
        await conn.execute("BEGIN IMMEDIATE")
        for op in ("file", "reply"):
            await conn.execute(
                "INSERT INTO outbox (key, event_id, payload, created_at) VALUES (?,?,?,?)",
                (f"{event.id}:{op}", event.id, json.dumps({"op": op, "subject": event.subject}), time.time()),
            )
        await conn.execute(
            "INSERT INTO audit (at, event_id, outcome, reasons) VALUES (?,?,?,?)",
            (time.time(), event.id, "handled", "[]"),
        )
        await conn.execute("UPDATE inbox SET state='done', done_at=? WHERE seq=?", (time.time(), seq))
        await conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    await conn.close()
    return {"events": n, "seconds": elapsed, "events_per_s": n / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--page", type=int, default=100, help="events handed over together")
    parser.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default="uvloop", help="event loop, as [deputy] event_loop"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the pipeline run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="deputy-bench-") as tmp:
        base = Path(tmp)
        (base / "raw").mkdir()
        raw = run_raw(base / "raw", args.events)
        raw_aio = event_loop.run(run_raw_aiosqlite(base / "raw", args.events), kind=args.loop)
        (base / "pipe").mkdir()
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        ours = event_loop.run(run_pipeline(base / "pipe", args.events, page=args.page), kind=args.loop)
        if profiler:
            profiler.disable()
        (base / "pipe1").mkdir()
        one_by_one = event_loop.run(run_pipeline(base / "pipe1", args.events, page=1), kind=args.loop)

    ratio = ours["events_per_s"] / raw["events_per_s"]
    result = {
        "benchmark": "pipeline",
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "event_loop": event_loop.name(args.loop),
        "pipeline": ours,
        "raw_sqlite": raw,
        "raw_aiosqlite": raw_aio,
        "pipeline_one_at_a_time": one_by_one,
        "ratio_pipeline_to_raw": ratio,
    }
    loop_name = event_loop.name(args.loop)
    print(
        f"pipeline ({loop_name} loop): {ours['events']} events in pages of {ours['page']},"
        f" {ours['events_done']} done, states {ours['states']}"
    )
    print(
        f"  {ours['events_per_s']:.0f} events/s to done "
        f"({ours['events_per_s_incl_delivery']:.0f}/s incl. delivery of {ours['deliveries']} outbox rows)"
    )
    print(
        f"  main-thread CPU to done: {ours['main_thread_cpu_us_per_event']:.0f} us per event"
        " (the loop's thread; on a loaded machine steadier than events/s)"
    )
    print(
        f"  latency emit -> done: p50 {ours['latency_ms_p50']:.1f} ms, p99 {ours['latency_ms_p99']:.1f} ms"
        " (all events emitted at once: includes queueing)"
    )
    print(f"raw sqlite3 floor (same workload, same run): {raw['events_per_s']:.0f} events/s")
    print(
        f"same workload through aiosqlite (driver floor, no pipeline): {raw_aio['events_per_s']:.0f} events/s"
    )
    print(f"ratio pipeline/raw: {ratio:.2f}")
    print(
        f"one emit at a time (each waits for its own commit): {one_by_one['events_per_s']:.0f} events/s"
        f" to done, ratio {one_by_one['events_per_s'] / raw['events_per_s']:.2f}"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "pipeline.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {out / 'pipeline.json'}")
    if profiler:
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(40)
        print(buf.getvalue())


if __name__ == "__main__":
    main()
