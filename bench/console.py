"""The console's Activity page with 10,000 audit rows: time to first byte, beside a floor
measured in the same run, and what the console costs in memory.

The console runs as in the daemon (the real aiohttp application, its session check and
its store reads on one SQLite file in WAL mode) and is asked for ``/activity`` (its
first page of 50 decisions, the filters' choices, the layout) over real HTTP on
127.0.0.1. Time to first byte is taken with a raw socket: from the request's first byte
written to the response's first byte read. The floor is a bare aiohttp handler on the
same loop returning a body of the same size, prebuilt, with no session and no database.
The filters' lists (every channel, rule and outcome in the audit) are read at most every
10 s; the first request, which reads them, is reported on its own. Memory: the process's
resident set before the console is imported and built, and after it served every
request. Goal: under 200 ms to first byte. No assertions: figures only.

    .venv/bin/python bench/console.py [--rows 10000] [--requests 200]

Writes bench/results/console.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402

from bot.config import load  # noqa: E402
from bot.health import Health  # noqa: E402
from bot.rules import load_rulebook  # noqa: E402
from bot.store import Store  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def fill(conn: sqlite3.Connection, rows: int) -> None:
    outcomes = ("handled", "escalated", "ignored", "handled", "handled")
    rules = ("invoices", "newsletters", "receipts", "sales", "")
    now = time.time()
    conn.executemany(
        "INSERT INTO audit (at, event_id, channel, sender, subject, rule, outcome, reasons, actions, blocked,"
        " llm_calls, tokens_in, tokens_out, duration_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                now - (rows - n) * 30,
                f"local:<m{n}@bench.example>",
                "local" if n % 3 else "email",
                f"sender{n % 400}@example.com",
                f"Invoice {n} for the work in March",
                rules[n % 5],
                outcomes[n % 5],
                json.dumps(
                    [
                        f"rule {rules[n % 5] or '-'} matched: from *@example.com",
                        "amount 120.00 EUR within 200",
                    ]
                ),
                json.dumps(["file to Invoices", "reply: Thank you, it will be paid this week."]),
                json.dumps(["reply: amount over the limit"] if n % 7 == 0 else []),
                n % 2,
                900 * (n % 2),
                12 * (n % 2),
                3.2,
            )
            for n in range(rows)
        ],
    )


async def ttfb(port: int, path: str, cookie: str, n: int) -> list[float]:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    ).encode()
    times = []
    for _ in range(n):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        start = time.perf_counter()
        writer.write(request)
        await writer.drain()
        await reader.read(1)
        times.append((time.perf_counter() - start) * 1000)
        while await reader.read(65536):
            pass
        writer.close()
        await writer.wait_closed()
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"p50": statistics.median(ordered), "p95": ordered[int(len(ordered) * 0.95) - 1]}


async def main(rows: int, requests: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "config.toml").write_text(
            f'[deputy]\ndata_dir = "data"\nrules_dir = "{ROOT / "rules"}"\n'
            "[console]\nenabled = true\nport = 0\n"
        )
        settings = load(home / "config.toml")
        store = Store(settings.db_path)
        await store.open()
        await store.db.write(fill, rows)
        rulebook = load_rulebook(settings.rules_dir)
        before = rss_mb()

        from bot.console.deps import Deps
        from bot.console.server import Console

        async def emit(event: object) -> bool:
            return False

        console = Console(
            Deps(store=store, settings=settings, health=Health(), rulebook=lambda: rulebook, emit=emit)  # type: ignore[arg-type]
        )
        await console.start()
        session = secrets.token_urlsafe(32)
        await store.console_tokens.add_session(session, csrf="x", ttl=3600)
        cookie = f"deputy_console={session}"
        # The first request reads the filters' choices too (a scan of every row; then
        # kept for 10 s) on a cold page cache: reported apart.
        cold = (await ttfb(console.port, "/activity", cookie, 1))[0]
        for _ in range(5):
            await ttfb(console.port, "/activity", cookie, 1)
        page = await ttfb(console.port, "/activity", cookie, requests)
        searched = await ttfb(console.port, "/activity?q=March+9999", cookie, max(requests // 4, 10))
        after = rss_mb()

        body_size = 0
        reader, writer = await asyncio.open_connection("127.0.0.1", console.port)
        writer.write(
            f"GET /activity HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n".encode()
        )
        raw = await reader.read()
        writer.close()
        body_size = len(raw.split(b"\r\n\r\n", 1)[1])
        body = b"x" * body_size

        async def bare(request: web.Request) -> web.Response:
            return web.Response(body=body, content_type="text/html")

        app = web.Application()
        app.router.add_get("/activity", bare)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        floor = await ttfb(port, "/activity", cookie, requests)
        await runner.cleanup()
        await console.stop()
        await store.close()
    return {
        "rows": rows,
        "page_bytes": body_size,
        "activity_ttfb_ms": summary(page),
        "activity_first_request_ms": round(cold, 2),
        "activity_search_ttfb_ms": summary(searched),
        "floor_ttfb_ms": summary(floor),
        "rss_before_console_mb": round(before, 1),
        "rss_after_console_mb": round(after, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    result = asyncio.run(main(args.rows, args.requests))
    page, search, floor = (
        result["activity_ttfb_ms"],
        result["activity_search_ttfb_ms"],
        result["floor_ttfb_ms"],
    )
    print(f"audit rows: {result['rows']}; Activity page: {result['page_bytes']:,} bytes")
    print(f"Activity, first page, time to first byte p50 / p95: {page['p50']:.2f} / {page['p95']:.2f} ms")  # type: ignore[index]
    print(
        "Activity, the first request (filters' choices read, cold cache): "
        f"{result['activity_first_request_ms']} ms"
    )
    print(f"Activity, a search over all rows, p50 / p95: {search['p50']:.2f} / {search['p95']:.2f} ms")  # type: ignore[index]
    print(
        f"floor: bare aiohttp handler, same body size, p50 / p95: {floor['p50']:.2f} / {floor['p95']:.2f} ms"
    )  # type: ignore[index]
    cost = float(result["rss_after_console_mb"]) - float(result["rss_before_console_mb"])  # type: ignore[arg-type]
    print(
        f"memory: RSS {result['rss_before_console_mb']} MB before the console, "
        f"{result['rss_after_console_mb']} MB after serving: {cost:.1f} MB"
    )
    out = ROOT / "bench" / "results" / "console.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
