"""Email connector figures, each beside its floor measured in the same run.

  .venv/bin/python bench/email_latency.py [N]

1. APPEND -> emit latency through our connector (IDLE), p50/p99, beside Dovecot's
   own IDLE push delay seen by a raw aioimaplib client (hard-coded ~0.5 s); and
   APPEND -> reply at the SMTP server through the whole daemon (connector, inbox,
   rules, gate, outbox, SMTP) for a supplier invoice the example rulebook answers.
2. Filing 1,000 messages via the connector (chunked UID MOVE) beside one raw
   UID MOVE of 1,000 (which aioimaplib can survive only for MOVE responses that
   fit; it is measured with a generous timeout).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "email")]

import aioimaplib  # noqa: E402
from conftest import DovecotServer, _write_config, free_port  # noqa: E402
from email_helpers import Inbox, imap_login, make_connector, message  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(label: str, values: list[float]) -> str:
    p50, p99 = pct(values, 0.5) * 1000, pct(values, 0.99) * 1000
    return f"  {label:34} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"


async def raw_idle_floor(server: DovecotServer, n: int) -> list[float]:
    watcher = await imap_login(server)
    await watcher.select("INBOX")
    writer = await imap_login(server)
    out: list[float] = []
    for i in range(n):
        idle = await watcher.idle_start(timeout=60)
        start = time.perf_counter()
        await writer.append(message(10_000 + i), mailbox="INBOX")
        while True:
            push = await watcher.wait_server_push(timeout=10)
            if any(isinstance(x, bytes) and x.endswith(b"EXISTS") for x in push):
                break
        out.append(time.perf_counter() - start)
        watcher.idle_done()
        await asyncio.wait_for(idle, 10)
    await writer.logout()
    await watcher.logout()
    return out


async def connector_latency(server: DovecotServer, tmp: Path, n: int) -> list[float]:
    conn, state = make_connector(server, tmp, folders=["Bench"])
    admin = await imap_login(server)
    await admin.create("Bench")
    inbox = Inbox()
    await conn.start(inbox.emit)
    while "imap_cursor:Bench" not in state.data:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    out: list[float] = []
    for i in range(n):
        before = len(inbox.events)
        start = time.perf_counter()
        await admin.append(message(20_000 + i), mailbox="Bench")
        while len(inbox.events) == before:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        out.append(time.perf_counter() - start)
    await conn.stop()
    await admin.logout()
    return out


async def connector_stages(server: DovecotServer, tmp: Path, n: int) -> dict[str, list[float]]:
    """APPEND -> emit again, with a timestamp at each stage the connector goes through
    (the push reaching aioimaplib, IDLE ended, SELECT, UID SEARCH, UID FETCH, emit), so a
    tail can be placed. Each stage's time is from the APPEND."""
    conn, state = make_connector(server, tmp, folders=["Stages"])
    admin = await imap_login(server)
    await admin.create("Stages")
    marks: list[tuple[str, float]] = []
    factory = conn.new_client

    def timed(obj: object, name: str, label: str) -> None:
        original = getattr(obj, name)

        async def wrapper(*args: object, **kw: object) -> object:
            result = await original(*args, **kw)
            if label != "push" or any(isinstance(x, bytes) and b"EXISTS" in x for x in result or []):
                marks.append((label, time.perf_counter()))
            return result

        setattr(obj, name, wrapper)

    def probing_client() -> object:
        client = factory()
        connect = client.connect

        async def connect_and_probe() -> None:
            await connect()
            timed(client._imap, "wait_server_push", "push")

        client.connect = connect_and_probe  # type: ignore[method-assign]
        for name, label in (("idle", "idle ended"), ("select", "select"), ("uids_after", "search")):
            timed(client, name, label)
        timed(client, "fetch", "fetch")
        return client

    conn.new_client = probing_client  # type: ignore[method-assign]
    inbox = Inbox()
    await conn.start(inbox.emit)
    while "imap_cursor:Stages" not in state.data:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    stages: dict[str, list[float]] = {}
    for i in range(n):
        before = len(inbox.events)
        marks.clear()
        start = time.perf_counter()
        await admin.append(message(30_000 + i), mailbox="Stages")
        while len(inbox.events) == before:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        end = time.perf_counter()
        seen: set[str] = set()
        for label, at in marks:
            if label not in seen:  # the first of each after this APPEND
                seen.add(label)
                stages.setdefault(label, []).append(at - start)
        stages.setdefault("emit", []).append(end - start)
        await asyncio.sleep(0.05)
    await conn.stop()
    await admin.logout()
    return stages


def _reply_home(tmp: Path, server: DovecotServer, smtp_port: int) -> Path:
    import os
    import shutil

    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "rules", tmp / "rules")
    os.environ["DEPUTY_BENCH_IMAP_PASSWORD"] = server.password
    (tmp / "config.toml").write_text(
        '[deputy]\ndata_dir = "data"\nrules_dir = "rules"\naddresses = ["deputy@deputy.test"]\n'
        'log_level = "WARNING"\n[digest]\nenabled = false\n'
        '[channels.email]\ntype = "email"\nimap_host = "127.0.0.1"\n'
        f'imap_port = {server.port}\nimap_security = "none"\nusername = "deputy"\n'
        'password_env = "DEPUTY_BENCH_IMAP_PASSWORD"\nsmtp_host = "127.0.0.1"\n'
        f'smtp_port = {smtp_port}\nsmtp_security = "none"\naddress = "deputy@deputy.test"\n'
        'sent_folder = "Sent"\n',
        encoding="utf-8",
    )
    return tmp / "config.toml"


async def reply_latency(
    server: DovecotServer, tmp: Path, n: int, stages: dict[str, list[float]] | None = None
) -> list[float]:
    """APPEND of an invoice -> its reply accepted by the SMTP server, through a whole
    in-process Deputy (rules-only) with the email channel on this Dovecot. ``stages``
    gets, per sample, the wall-clock time from the APPEND to the inbox commit, to the
    event done (outbox row committed) and to the reply at the server (the store's own
    ``created_at`` / ``done_at`` stamps)."""
    from aiosmtpd.controller import Controller

    from bot.app import Deputy
    from bot.config import load

    arrived: dict[str, float] = {}
    arrived_wall: dict[str, float] = {}
    appended_wall: dict[str, float] = {}

    class Recorder:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            content = bytes(envelope.original_content or envelope.content)  # type: ignore[attr-defined]
            for line in content.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
                if line.lower().startswith(b"in-reply-to:"):
                    mid = line.split(b":", 1)[1].strip().decode()
                    arrived[mid], arrived_wall[mid] = time.perf_counter(), time.time()
            return "250 OK"

    smtp_port = free_port()
    controller = Controller(Recorder(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    deputy = Deputy(load(_reply_home(tmp, server, smtp_port)))
    await deputy.start()
    admin = await imap_login(server)
    out: list[float] = []
    try:
        while not await deputy.store.kv.get("connector:email:imap_cursor:INBOX"):  # noqa: ASYNC110 (baseline)
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        for i in range(n):
            mid = f"<bench-reply-{i}@acme-supplies.com>"
            raw_mail = (
                f"From: Accounts <ap{i}@acme-supplies.com>\r\nTo: deputy@deputy.test\r\n"
                f"Subject: Invoice {i}\r\nMessage-ID: {mid}\r\n"
                "Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n"
                "Please find our invoice attached. Total due: 80.00 EUR\r\n"
            ).encode()
            start, appended_wall[mid] = time.perf_counter(), time.time()
            await admin.append(raw_mail, mailbox="INBOX")
            while mid not in arrived:  # noqa: ASYNC110
                await asyncio.sleep(0.001)
            out.append(arrived[mid] - start)
    finally:
        await admin.logout()
        await deputy.stop()
        controller.stop()
    if stages is not None:
        import sqlite3

        conn = sqlite3.connect(deputy.settings.db_path)
        for mid, appended in appended_wall.items():
            query = "SELECT created_at, done_at FROM inbox WHERE id = ?"
            row_ = conn.execute(query, (f"email:{mid}",)).fetchone()
            if row_ is None or mid not in arrived_wall:
                continue
            stages.setdefault("APPEND -> inbox commit", []).append(row_[0] - appended)
            stages.setdefault("APPEND -> event done", []).append(row_[1] - appended)
            stages.setdefault("APPEND -> reply at SMTP", []).append(arrived_wall[mid] - appended)
        conn.close()
    return out


async def filing(server: DovecotServer, tmp: Path) -> tuple[float, float]:
    client = await imap_login(server)
    for mailbox in ("FileA", "FileB"):
        await client.create(mailbox)
        for i in range(1000):
            await client.append(message(i), mailbox=mailbox)
    conn, _ = make_connector(server, tmp)
    start = time.perf_counter()
    await conn.store.file_many(list(range(1, 1001)), mailbox="FileA", folder="DoneA")
    ours = time.perf_counter() - start
    await conn.stop()
    await client.create("DoneB")
    await client.select("FileB")
    start = time.perf_counter()
    try:
        await asyncio.wait_for(client.uid("move", "1:1000", "DoneB"), 30)
        single = time.perf_counter() - start
    except (TimeoutError, aioimaplib.AioImapException):
        single = float("nan")  # upstream issue 118: the raw client hangs on 1,000 EXPUNGEs
    return ours, single


async def main(n: int) -> None:
    import os
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="deputy-bench-"))
    os.chmod(root, 0o755)
    port = free_port()
    server = DovecotServer(root=root, port=port, config=_write_config(root, port))
    server.start()
    try:
        floor = await raw_idle_floor(server, n)
        ours = await connector_latency(server, root / "c", n)
        daemon_stages: dict[str, list[float]] = {}
        replies = await reply_latency(server, root / "d", n, daemon_stages)
        stages = await connector_stages(server, root / "s", n)
        file_ours, file_single = await filing(server, root / "f")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(f"APPEND->notification, n={n}")
    print(row("raw aioimaplib IDLE push (floor)", floor))
    print(row("connector APPEND->emit", ours))
    print(row("daemon APPEND->reply at SMTP server", replies))
    overhead = (statistics.mean(ours) - statistics.mean(floor)) * 1000
    print(f"  mean overhead over floor: {overhead:.1f} ms")
    print(f"  p99 of the reply over the floor's p99: {(pct(replies, 0.99) - pct(floor, 0.99)) * 1000:.1f} ms")
    print("Connector stages, APPEND -> each (a second connector run)")
    for label, values in stages.items():
        print(row(label, values))
    print("Daemon stages, from the store's own stamps (the reply run above)")
    for label, values in daemon_stages.items():
        print(row(label, values))
    print("Filing 1,000 messages")
    print(f"  connector file_many (20 x UID MOVE of 50): {file_ours:.3f} s")
    print(f"  one raw UID MOVE of 1,000:                  {file_single:.3f} s")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
