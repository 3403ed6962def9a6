# ruff: noqa: E501  (the printed figure lines read better unwrapped)
"""One mail must not stall intake: figures beside floors measured in the same run.

  .venv/bin/python bench/intake_stall.py [--uncapped]

1. Parsing the 3 MB mail of 60,000 MIME parts (capped at 200 before parsing) beside
   the floor: the stdlib parser on a mail of exactly 200 such parts. ``--uncapped`` also
   times the stdlib parser on the whole mail (what intake paid before; ~15 s).
2. The daemon's event-loop stall while that mail is delivered over SMTP to the real
   local listener, beside the stall while an ordinary one-line mail is delivered.
3. ``^(a|aa)+$`` on 40 a's and a b through the rule matcher's engine, beside Python's
   ``re`` on 20 a's and a b (the same pattern, a text it finishes on).
Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "email")]

from bot.app import Deputy  # noqa: E402
from bot.config import load  # noqa: E402
from bot.owner import OwnerProfile  # noqa: E402
from bot.rules.pattern import owner_pattern  # noqa: E402
from connectors.email.parse import parse_message  # noqa: E402
from tests.core.conftest import make_home  # noqa: E402
from tests.core.test_intake_stall import LagProbe, many_parts, send, small  # noqa: E402


def timed(fn: object, *args: object, **kw: object) -> float:
    started = time.perf_counter()
    fn(*args, **kw)  # type: ignore[operator]
    return time.perf_counter() - started


def parse_figures(uncapped: bool) -> None:
    big, cap = many_parts(60_000), many_parts(199)
    opts = {"connector": "local", "own_addresses": (), "owner": OwnerProfile(), "received_at": None}
    ours = timed(lambda: parse_message(big, **{**opts, "received_at": __import__("datetime").datetime.now()}))
    floor = timed(BytesParser(policy=policy.default).parsebytes, cap)
    print(
        f"parse 60,000-part mail (capped): {ours * 1000:.0f} ms; floor, stdlib on 200 parts: {floor * 1000:.0f} ms"
    )
    if uncapped:
        whole = timed(BytesParser(policy=policy.default).parsebytes, big)
        print(f"stdlib parser on the whole mail (before the cap): {whole * 1000:.0f} ms")


async def stall_figures() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = make_home(Path(tmp), extra_config='[channels.local]\ntype = "local"\nlisten_port = 0\n')
        deputy = Deputy(load(cfg))
        await deputy.start()
        try:
            port = deputy.connectors["local"].port  # type: ignore[attr-defined]
            probe = LagProbe()
            floor = await probe.during(asyncio.ensure_future(asyncio.to_thread(send, port, small())))
            big = await probe.during(asyncio.ensure_future(asyncio.to_thread(send, port, many_parts(60_000))))
            print(
                f"loop stall, 60,000-part mail over SMTP: {big * 1000:.0f} ms; floor, a one-line mail: {floor * 1000:.0f} ms"
            )
        finally:
            await deputy.stop()


def regex_figures() -> None:
    ours = timed(owner_pattern(r"^(a|aa)+$").search, "a" * 40 + "b")
    floor = timed(re.search, r"^(a|aa)+$", "a" * 20 + "b")
    print(
        f"^(a|aa)+$ on 41 characters (RE2): {ours * 1e6:.0f} us; floor, Python re on 21: {floor * 1e6:.0f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uncapped", action="store_true")
    args = parser.parse_args()
    parse_figures(args.uncapped)
    asyncio.run(stall_figures())
    regex_figures()


if __name__ == "__main__":
    main()
