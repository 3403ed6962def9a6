# ruff: noqa: E501  (the table rows read better unwrapped)
"""One benchmark command: every figure beside its floor measured in the same run.

  .venv/bin/python bench/run_all.py [--append N] [--events N]

Starts the loopback stand-ins (Dovecot for IMAP, aiosmtpd for SMTP, the fake Telegram
Bot API and the fake OpenAI API), runs the existing benches (bench/email_latency.py,
bench/llm_concurrency.py, bench/pipeline.py) in-process, then measures the real daemon
(``deputy run`` as a subprocess with the local, email and Telegram channels): cold start
to connected and idle RSS. If ``imapfilter`` is installed (Debian package imapfilter),
it files the same 1,000 messages against the same Dovecot, side by side.

Prints ONE table (figure, floor measured in the same run, ratio, the issue's target) and
writes bench/results/all.json. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import json
import os
import platform
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests" / "email")]

import email_latency  # noqa: E402
import llm_concurrency  # noqa: E402
import mixed_mailbox  # noqa: E402
import pipeline  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from conftest import DovecotServer, _write_config, free_port  # noqa: E402
from email_helpers import imap_login, message  # noqa: E402

from bot import event_loop  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

TOKEN = "424242:bench-token"
DEPS = "aiosqlite, aioimaplib, aiosmtplib, aiosmtpd, telegram, openai, pydantic, aiohttp"


# ----- email: APPEND -> event, filing, imapfilter ---------------------------------------------
async def email_figures(server: DovecotServer, tmp: Path, n: int) -> dict[str, Any]:
    floor = await email_latency.raw_idle_floor(server, n)
    ours = await email_latency.connector_latency(server, tmp / "c", n)
    replies = await email_latency.reply_latency(server, tmp / "d", n)
    file_ours = await filing_connector(server, tmp / "f")
    file_single = await asyncio.to_thread(filing_floor, server)
    return {
        "idle_floor_s": floor,
        "append_to_event_s": ours,
        "append_to_reply_s": replies,
        "filing_1000_connector_s": file_ours,
        "filing_1000_one_uid_move_s": file_single,
    }


async def filing_connector(server: DovecotServer, tmp: Path) -> float:
    await fill(server, "FileA", 1000)
    conn, _ = email_latency.make_connector(server, tmp)
    started = time.perf_counter()
    await conn.store.file_many(list(range(1, 1001)), mailbox="FileA", folder="DoneA")
    elapsed = time.perf_counter() - started
    await conn.stop()
    return elapsed


def filing_floor(server: DovecotServer) -> float:
    """The floor: one UID MOVE of all 1,000 from stdlib imaplib (aioimaplib cannot parse
    1,000 EXPUNGE lines in one read: upstream issue 118)."""
    conn = imaplib.IMAP4("127.0.0.1", server.port)
    conn.login("deputy", server.password)
    conn.create("FileB")
    conn.create("DoneB")
    for i in range(1000):
        conn.append("FileB", None, None, message(60_000 + i))
    conn.select("FileB")
    started = time.perf_counter()
    typ, data = conn.uid("MOVE", "1:1000", "DoneB")
    elapsed = time.perf_counter() - started
    assert typ == "OK", data
    conn.logout()
    return elapsed


async def fill(server: DovecotServer, mailbox: str, n: int) -> None:
    client = await imap_login(server)
    await client.create(mailbox)
    for i in range(n):
        await client.append(message(50_000 + i, subject=f"Invoice {i}"), mailbox=mailbox)
    await client.logout()


def imapfilter_filing(server: DovecotServer, tmp: Path) -> float | None:
    exe = shutil.which("imapfilter")
    if exe is None:
        return None
    asyncio.run(fill(server, "PeerIn", 1000))
    tmp.mkdir(parents=True, exist_ok=True)
    config = tmp / "imapfilter.lua"
    config.write_text(
        "options.timeout = 60\n"
        f"acct = IMAP {{ server = '127.0.0.1', port = {server.port}, username = 'deputy',"
        f" password = '{server.password}' }}\n"
        "acct:create_mailbox('PeerOut')\n"
        "found = acct['PeerIn']:contain_subject('Invoice')\n"
        "found:move_messages(acct['PeerOut'])\n",
        encoding="utf-8",
    )
    env = {**os.environ, "HOME": str(tmp)}
    started = time.perf_counter()
    subprocess.run([exe, "-c", str(config)], check=True, env=env, capture_output=True, timeout=120)
    return time.perf_counter() - started


# ----- the model: 200 concurrent events --------------------------------------------------------
async def llm_figures() -> dict[str, Any]:
    fake, server = llm_concurrency.start_stub()  # the model in its own process, as in production
    try:
        raw = await llm_concurrency.floor(fake)
        out: dict[str, Any] = {
            "events": llm_concurrency.N,
            "latency_s": llm_concurrency.LATENCY,
            "raw_s": raw,
        }
        for concurrency in (llm_concurrency.N, 32):
            elapsed, calls, tin, tout = await llm_concurrency.run_agents(fake, concurrency)
            out[f"agents_{concurrency}_s"] = elapsed
            out["llm_calls_per_event"] = sum(calls) / len(calls)
            out["tokens_in_per_event"] = sum(tin) / len(tin)
            out["tokens_out_per_event"] = sum(tout) / len(tout)
        out["daemon_s"], out["daemon_llm_calls"] = await llm_concurrency.through_the_daemon(fake.base_url)
        return out
    finally:
        server.terminate()
        server.join(5)


# ----- pipeline vs raw sqlite3 ------------------------------------------------------------------
def pipeline_figures(events: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="deputy-bench-") as tmp:
        base = Path(tmp)
        (base / "raw").mkdir()
        raw = pipeline.run_raw(base / "raw", events)
        (base / "pipe").mkdir()
        # The event loop the daemon runs on by default (bot/event_loop.py).
        ours = event_loop.run(pipeline.run_pipeline(base / "pipe", events, page=100))
        (base / "pipe1").mkdir()
        one_by_one = event_loop.run(pipeline.run_pipeline(base / "pipe1", events, page=1))
    return {"pipeline": ours, "raw_sqlite": raw, "pipeline_one_at_a_time": one_by_one}


# ----- the real daemon: cold start to connected, idle RSS ---------------------------------------
class Telegram:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = FakeTelegram(token=TOKEN)
        asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(10)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def import_floor() -> tuple[float, float]:
    """A bare interpreter importing the same dependencies: seconds, RSS MB."""
    code = (
        "import time; t=time.perf_counter(); import " + DEPS + "; d=time.perf_counter()-t; "
        "rss=[l for l in open('/proc/self/status') if l.startswith('VmRSS:')][0].split()[1]; "
        "print(d, int(rss)/1024)"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    _, mb = out.stdout.split()
    return wall, float(mb)


def daemon_figures(server: DovecotServer, tmp: Path) -> dict[str, Any]:
    tg = Telegram()
    smtp = Controller(_Sink(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    home = tmp / "daemon"
    shutil.copytree(ROOT / "rules", home / "rules")
    port = free_port()
    (home / "config.toml").write_text(
        '[deputy]\ndata_dir = "data"\nrules_dir = "rules"\n'
        'addresses = ["deputy@localhost", "deputy@deputy.test"]\nlog_level = "WARNING"\n'
        "[digest]\nenabled = false\n"
        f'[channels.local]\ntype = "local"\nlisten_port = {port}\n'
        '[channels.email]\ntype = "email"\nimap_host = "127.0.0.1"\n'
        f'imap_port = {server.port}\nimap_security = "none"\nusername = "deputy"\n'
        'password_env = "DEPUTY_BENCH_IMAP_PASSWORD"\nsmtp_host = "127.0.0.1"\n'
        f'smtp_port = {smtp.port}\nsmtp_security = "none"\naddress = "deputy@deputy.test"\n'
        f'[channels.telegram]\ntype = "telegram"\nbase_url = "{tg.fake.base_url}"\npoll_timeout = 10\n',
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DEPUTY_BENCH_IMAP_PASSWORD": server.password,
        "DEPUTY_TELEGRAM_TOKEN": TOKEN,
    }
    db = home / "data" / "deputy.sqlite3"
    log = (home / "daemon.log").open("wb")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(home / "config.toml")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        connected = None
        while time.perf_counter() - started < 60 and proc.poll() is None:
            if _listening(port) and _cursor(db) and tg.fake.calls_to("getUpdates"):
                connected = time.perf_counter() - started
                break
            time.sleep(0.005)
        time.sleep(5.0)  # idle, every connector connected
        rss = rss_mb(proc.pid) if proc.poll() is None else float("nan")
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        smtp.stop()
        tg.close()
    floor_s, floor_mb = import_floor()
    return {"cold_start_s": connected, "idle_rss_mb": rss, "import_s": floor_s, "import_rss_mb": floor_mb}


class _Sink:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _cursor(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        conn = sqlite3.connect(db, timeout=1)
        try:
            return bool(
                conn.execute("SELECT 1 FROM kv WHERE key LIKE 'connector:email:imap_cursor:%'").fetchall()
            )
        finally:
            conn.close()
    except sqlite3.Error:
        return False


# ----- the table ----------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def build_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    e, llm, p, d = r["email"], r["llm"], r["pipeline"], r["daemon"]
    m = r["mixed_mailbox"]["total"]
    n = llm["events"]
    agents_n = llm[f"agents_{n}_s"]
    ms = 1000.0
    rows = [
        {
            "figure": "new mail: APPEND -> event committed, p50 / p99 (ms)",
            "value": f"{pct(e['append_to_event_s'], 0.5) * ms:.0f} / {pct(e['append_to_event_s'], 0.99) * ms:.0f}",
            "floor": f"Dovecot IDLE push {pct(e['idle_floor_s'], 0.5) * ms:.0f} / {pct(e['idle_floor_s'], 0.99) * ms:.0f}",
            "ratio": pct(e["append_to_event_s"], 0.99) / pct(e["idle_floor_s"], 0.99),
            "target": "",
        },
        {
            "figure": "new mail: APPEND -> reply at the SMTP server, whole daemon, p50 / p99 (ms)",
            "value": f"{pct(e['append_to_reply_s'], 0.5) * ms:.0f} / {pct(e['append_to_reply_s'], 0.99) * ms:.0f}",
            "floor": f"Dovecot IDLE push {pct(e['idle_floor_s'], 0.5) * ms:.0f} / {pct(e['idle_floor_s'], 0.99) * ms:.0f}",
            "ratio": pct(e["append_to_reply_s"], 0.99) / pct(e["idle_floor_s"], 0.99),
            "target": "p99 within 250 ms of the push delay",
        },
        {
            "figure": "filing 1,000 messages, connector (chunked UID MOVE) (s)",
            "value": f"{e['filing_1000_connector_s']:.3f}",
            "floor": f"one UID MOVE of 1,000 (stdlib imaplib): {e['filing_1000_one_uid_move_s']:.3f}",
            "ratio": e["filing_1000_connector_s"] / e["filing_1000_one_uid_move_s"],
            "target": "",
        },
    ]
    peer = r.get("imapfilter_s")
    rows.append(
        {
            "figure": "filing 1,000 messages, imapfilter (peer, process start incl.) (s)",
            "value": f"{peer:.3f}" if peer is not None else "not installed (apt-get install imapfilter)",
            "floor": f"one UID MOVE of 1,000 (stdlib imaplib): {e['filing_1000_one_uid_move_s']:.3f}",
            "ratio": peer / e["filing_1000_one_uid_move_s"] if peer is not None else None,
            "target": "side by side",
        }
    )
    rows += [
        {
            "figure": f"{llm['events']} concurrent LLM events, 1 s model, max_concurrency={llm['events']} (s)",
            "value": f"{agents_n:.2f}",
            "floor": f"{llm['events']} raw concurrent calls {llm['raw_s']:.2f}; serial {llm['events'] * llm['latency_s']:.0f}",
            "ratio": agents_n / llm["raw_s"],
            "target": "within 2.5 s",
        },
        {
            "figure": f"{llm['events']} LLM events through the whole daemon, default settings (s)",
            "value": f"{llm['daemon_s']:.2f}",
            "floor": f"{llm['events']} raw concurrent calls {llm['raw_s']:.2f}",
            "ratio": llm["daemon_s"] / llm["raw_s"],
            "target": "within 2.5 s",
        },
        {
            "figure": "LLMAgent alone with max_concurrency=32 (s)",
            "value": f"{llm['agents_32_s']:.2f}",
            "floor": f"raw {llm['raw_s']:.2f}",
            "ratio": llm["agents_32_s"] / llm["raw_s"],
            "target": "",
        },
        {
            "figure": "LLM calls / tokens in / tokens out per judged event",
            "value": f"{llm['llm_calls_per_event']:.2f} / {llm['tokens_in_per_event']:.0f} / {llm['tokens_out_per_event']:.0f}",
            "floor": "events a rule covers completely: 0 calls",
            "ratio": None,
            "target": "",
        },
        {
            "figure": f"mixed mailbox of {m['events']:.0f}: LLM calls / tokens in / out per event",
            "value": f"{m['llm_calls'] / m['events']:.2f} / {m['tokens_in'] / m['events']:.0f}"
            f" / {m['tokens_out'] / m['events']:.0f}",
            "floor": f"{100 * m['no_model'] / m['events']:.0f}% of events need no model call",
            "ratio": None,
            "target": "",
        },
        {
            "figure": f"pipeline, {p['pipeline']['events']} rules-only events in pages of 100 (events/s)",
            "value": f"{p['pipeline']['events_per_s']:.0f}",
            "floor": f"raw sqlite3, same workload: {p['raw_sqlite']['events_per_s']:.0f}",
            "ratio": p["pipeline"]["events_per_s"] / p["raw_sqlite"]["events_per_s"],
            "target": "at least 0.5",
        },
        {
            "figure": "the same, one emit at a time, each waiting for its commit (events/s)",
            "value": f"{p['pipeline_one_at_a_time']['events_per_s']:.0f}",
            "floor": "the same raw sqlite3 run",
            "ratio": p["pipeline_one_at_a_time"]["events_per_s"] / p["raw_sqlite"]["events_per_s"],
            "target": "",
        },
        {
            "figure": "idle RSS, local + email + Telegram connected (MB)",
            "value": f"{d['idle_rss_mb']:.0f}",
            "floor": f"bare interpreter importing the dependencies: {d['import_rss_mb']:.0f}",
            "ratio": d["idle_rss_mb"] / d["import_rss_mb"],
            "target": "at most 100 MB",
        },
        {
            "figure": "cold start to connected (s)",
            "value": f"{d['cold_start_s']:.2f}" if d["cold_start_s"] else "did not connect",
            "floor": f"interpreter start + imports: {d['import_s']:.2f}",
            "ratio": d["cold_start_s"] / d["import_s"] if d["cold_start_s"] else None,
            "target": "",
        },
    ]
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    head = ("figure", "value", "floor (same run)", "ratio", "target")
    cells = [
        (
            row["figure"],
            row["value"],
            row["floor"],
            "" if row["ratio"] is None else f"{row['ratio']:.2f}",
            row["target"],
        )
        for row in rows
    ]
    widths = [max(len(str(c[i])) for c in [head, *cells]) for i in range(len(head))]
    line = " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for c in cells:
        print(" | ".join(str(x).ljust(w) for x, w in zip(c, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--append", type=int, default=20, help="APPENDs for the latency figure")
    parser.add_argument("--events", type=int, default=5000, help="events for the pipeline figure")
    args = parser.parse_args()

    results: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "sqlite": sqlite3.sqlite_version,
        }
    }
    root = Path(tempfile.mkdtemp(prefix="deputy-bench-all-"))
    os.chmod(root, 0o755)
    port = free_port()
    server = DovecotServer(root=root, port=port, config=_write_config(root, port))
    server.start()
    try:
        print("email (Dovecot) ...", flush=True)
        results["email"] = asyncio.run(email_figures(server, root / "e", args.append))
        print("imapfilter ...", flush=True)
        results["imapfilter_s"] = imapfilter_filing(server, root / "peer")
        print("daemon: cold start, idle RSS ...", flush=True)
        results["daemon"] = daemon_figures(server, root)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    print("LLM (fake OpenAI, 1 s per answer) ...", flush=True)
    results["llm"] = asyncio.run(llm_figures())
    print("mixed mailbox (LLM calls and tokens per event) ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="deputy-bench-") as tmp:
        results["mixed_mailbox"] = event_loop.run(mixed_mailbox.run(Path(tmp)))
    print("pipeline ...", flush=True)
    results["pipeline"] = pipeline_figures(args.events)

    rows = build_rows(results)
    results["table"] = rows
    print()
    print_table(rows)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "all.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwritten {out / 'all.json'}")


if __name__ == "__main__":
    main()
