"""Email connector figures, each beside its floor measured in the same run.

  .venv/bin/python bench/email_latency.py [N] [--stages] [--filing]

1. The reaction, paired with its floor (N samples, 200 by default; about a minute per
   hundred): for each APPEND of a supplier invoice to INBOX, the time until Dovecot's
   IDLE push reaches a bare IMAP client (the floor: its own process, a plain socket,
   nothing but the push) and the time until Deputy's reply is accepted by the SMTP
   server (its own process too), both from the same APPEND; Deputy's added latency is
   their difference, sample by sample, so a push that came late for both is not
   counted against Deputy. Deputy runs whole and in this process, as ``deputy run``
   does (uvloop, the start-up heap frozen), with a reply-only copy of the example
   invoice rule (filing would push an EXPUNGE into the next sample). Per sample, the
   stages after the push come from the store's own stamps: push -> inbox commit (the
   connector), inbox commit -> event done (the pipeline), event done -> reply at SMTP
   (the sender and the SMTP dialogue).
2. ``--stages``: APPEND -> emit through the connector alone, with a timestamp at each
   stage it goes through (the push reaching aioimaplib, IDLE ended, SELECT, UID SEARCH,
   UID FETCH, emit).
3. ``--filing``: filing 1,000 messages via the connector (chunked UID MOVE) beside one
   raw UID MOVE of 1,000.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
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
    p50, p95, p99 = (pct(values, q) * 1000 for q in (0.5, 0.95, 0.99))
    top = max(values) * 1000
    return f"  {label:36} p50 {p50:7.1f}  p95 {p95:7.1f}  p99 {p99:7.1f}  max {top:7.1f} ms"


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


def _reply_home(tmp: Path, server: DovecotServer, smtp_port: int, *, reply_only: bool = False) -> Path:
    import os
    import shutil

    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "rules", tmp / "rules")
    if reply_only:  # no UID MOVE: its EXPUNGE push would wake the watcher inside the next sample
        rule = tmp / "rules" / "invoices.md"
        text = rule.read_text(encoding="utf-8")
        text = text.replace('may = ["file", "reply", "remember"]', 'may = ["reply"]')
        rule.write_text(text.replace('file.folder = "Invoices"\n', ""), encoding="utf-8")
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


# The floor and the SMTP server, in a process of their own: in this one they would wait
# for the loop (or the GIL) that Deputy is using, and the floor would move with Deputy.
PEERS = r"""
import asyncio, sys, time
from aiosmtpd.smtp import SMTP

imap_port, password, smtp_port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])

class Sink:
    async def handle_DATA(self, server, session, envelope):
        at = time.monotonic()
        head = bytes(envelope.original_content or envelope.content).split(b"\r\n\r\n", 1)[0]
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"in-reply-to:"):
                print("reply", line.split(b":", 1)[1].strip().decode(), at, flush=True)
        return "250 OK"

async def main():
    loop = asyncio.get_running_loop()
    await loop.create_server(lambda: SMTP(Sink(), hostname="sink"), "127.0.0.1", smtp_port)
    reader, writer = await asyncio.open_connection("127.0.0.1", imap_port)
    await reader.readline()
    for tag, command in ((b"a", b"LOGIN deputy " + password.encode()), (b"b", b"SELECT INBOX")):
        writer.write(tag + b" " + command + b"\r\n")
        while not (await reader.readline()).startswith(tag + b" OK"):
            pass
    writer.write(b"c IDLE\r\n")  # RFC 2177; one IDLE for the whole run (under 29 minutes)
    while not (await reader.readline()).startswith(b"+"):
        pass
    print("ready", flush=True)
    while line := await reader.readline():
        if line.rstrip().endswith(b" EXISTS"):
            print("push", time.monotonic(), flush=True)

asyncio.run(main())
"""


async def paired_reply_latency(server: DovecotServer, tmp: Path, n: int) -> dict[str, list[float]]:
    """APPEND -> push at a bare IDLE client (the floor) and APPEND -> Deputy's reply at
    the SMTP server, for the same APPEND; sequential, each sample starting once Deputy
    is idle again. Returns each distribution, the per-sample difference and the stages."""
    from bot import heap
    from bot.app import Deputy
    from bot.config import load

    smtp_port = free_port()
    peers = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PEERS, str(server.port), server.password, str(smtp_port),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert peers.stdout is not None
    assert (await asyncio.wait_for(peers.stdout.readline(), 30)).strip() == b"ready"
    pushes: list[float] = []
    replies: dict[str, float] = {}
    got = asyncio.Event()

    async def read_peers() -> None:
        assert peers.stdout is not None
        while line := await peers.stdout.readline():
            kind, *rest = line.decode().split()
            if kind == "push":
                pushes.append(float(rest[0]))
            else:
                replies[rest[0]] = float(rest[1])
            got.set()

    reader = asyncio.ensure_future(read_peers())
    deputy = Deputy(load(_reply_home(tmp, server, smtp_port, reply_only=True)))
    await deputy.start()
    heap.freeze()  # as `deputy run` does once started
    admin = await imap_login(server)
    out: dict[str, list[float]] = {}
    stamps: list[tuple[str, float, float, float, float]] = []  # mid, wall at APPEND, APPEND, push, reply
    try:
        while not await deputy.store.kv.get("connector:email:imap_cursor:INBOX"):  # noqa: ASYNC110 (baseline)
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)
        for i in range(n):
            mid = f"<bench-paired-{i}@acme-supplies.com>"
            raw_mail = (
                f"From: Accounts <ap{i}@acme-supplies.com>\r\nTo: deputy@deputy.test\r\n"
                f"Subject: Invoice {i}\r\nMessage-ID: {mid}\r\n"
                "Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n"
                "Please find our invoice attached. Total due: 80.00 EUR\r\n"
            ).encode()
            seen = len(pushes)
            wall, start = time.time(), time.monotonic()
            await admin.append(raw_mail, mailbox="INBOX")
            while mid not in replies or len(pushes) == seen:
                got.clear()
                await asyncio.wait_for(got.wait(), 30)
            stamps.append((mid, wall, start, pushes[seen], replies[mid]))
            await deputy.drain(timeout=30)  # the copy in Sent, the row marked sent
            # Dovecot delays a push 500 ms from the first change it sees, and Deputy's own
            # SELECT and FETCH are changes to the floor's process: a sample started sooner
            # would find the floor's timer already running and the floor early.
            await asyncio.sleep(0.6)
    finally:
        await admin.logout()
        await deputy.stop()
        heap.unfreeze()
        peers.kill()
        await peers.wait()
        reader.cancel()
    import sqlite3

    conn = sqlite3.connect(deputy.settings.db_path)
    for mid, wall, start, push, reply in stamps:
        out.setdefault("floor: APPEND -> IDLE push", []).append(push - start)
        out.setdefault("Deputy: APPEND -> reply at SMTP", []).append(reply - start)
        out.setdefault("Deputy added (reply - push)", []).append(reply - push)
        query = "SELECT created_at, done_at FROM inbox WHERE id = ?"
        row_ = conn.execute(query, (f"email:{mid}",)).fetchone()
        if row_ is None:
            continue
        push_wall, reply_wall = wall + (push - start), wall + (reply - start)
        out.setdefault("  push -> inbox commit", []).append(row_[0] - push_wall)
        out.setdefault("  inbox commit -> event done", []).append(row_[1] - row_[0])
        out.setdefault("  event done -> reply at SMTP", []).append(reply_wall - row_[1])
    conn.close()
    return out


async def main(n: int, *, stages: bool, filing_too: bool) -> None:
    import os
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="deputy-bench-"))
    os.chmod(root, 0o755)
    port = free_port()
    server = DovecotServer(root=root, port=port, config=_write_config(root, port))
    server.start()
    try:
        paired = await paired_reply_latency(server, root / "d", n)
        connector = await connector_stages(server, root / "s", n) if stages else {}
        filed = await filing(server, root / "f") if filing_too else None
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    load = os.getloadavg()
    print(f"APPEND -> reply, paired with the push of the same APPEND, n={n} (load {load[0]:.1f})")
    for label, values in paired.items():
        print(row(label, values))
    added = paired["Deputy added (reply - push)"]
    over = sum(1 for v in added if v > 0.060)
    print(f"  samples where Deputy added more than 60 ms: {over} of {len(added)}")
    if connector:
        print("Connector stages, APPEND -> each (the connector alone)")
        for label, values in connector.items():
            print(row(label, values))
    if filed is not None:
        print("Filing 1,000 messages")
        print(f"  connector file_many (20 x UID MOVE of 50): {filed[0]:.3f} s")
        print(f"  one raw UID MOVE of 1,000:                  {filed[1]:.3f} s")


if __name__ == "__main__":
    import argparse

    from bot import event_loop

    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=200)
    parser.add_argument("--stages", action="store_true", help="the connector alone, stage by stage")
    parser.add_argument("--filing", action="store_true", help="filing 1,000 messages")
    args = parser.parse_args()
    event_loop.run(main(args.n, stages=args.stages, filing_too=args.filing), kind="uvloop")
