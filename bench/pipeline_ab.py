"""The pipeline bench of this tree beside another checkout's, interleaved in one run.

A shared machine's load moves events/s by a factor of three from one minute to the next,
so a figure from another day says little. This runs each tree's own
``bench/pipeline.py`` workload (its ``run_pipeline``, pages of 100, after a warm-up of
200 events) in a fresh process per run, alternating the trees, and prints the medians of
events/s to done and of the loop thread's CPU per event over the whole run (emit,
judge, deliver, stop): the second moves far less with the load. No assertions.

Both trees get the same texts: each tree builds its own events (``make_event``), and
their subjects and bodies are this tree's mix (``bench/mail_mix.py``: eight shapes of
invoice mail, no two events alike), so a cache keyed by text is not flattered by an
older tree's one repeated body. Each run prints what it committed (outbox rows by
state); a tree whose outcomes differ from the other's is said so.

    git worktree add --detach /tmp/perf-base e19e27c
    .venv/bin/python bench/pipeline_ab.py /tmp/perf-base [--rounds 4] [--events 1500]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child(root: Path, events: int) -> None:
    """One run of ``root``'s workload, in this process: prints "outbox events/s cpu_us"."""
    mix = _load("ab_mail_mix", ROOT / "bench" / "mail_mix.py")
    sys.path.insert(0, str(root))
    bench = _load("tree_pipeline", root / "bench" / "pipeline.py")
    own = bench.make_event
    bench.make_event = lambda n: dataclasses.replace(own(n), **mix.invoice_mail(n))
    import bot
    from bot import event_loop

    assert str(bot.__file__).startswith(str(root)), f"{bot.__file__} is not from {root}"
    with tempfile.TemporaryDirectory(prefix="deputy-ab-") as tmp:
        (Path(tmp) / "warm").mkdir()
        event_loop.run(bench.run_pipeline(Path(tmp) / "warm", 200, page=100), kind="uvloop")
        (Path(tmp) / "run").mkdir()
        cpu0 = time.thread_time()
        result = event_loop.run(bench.run_pipeline(Path(tmp) / "run", events, page=100), kind="uvloop")
        cpu = time.thread_time() - cpu0
    assert result["events_done"] == events, result
    outbox = ",".join(f"{state}={count}" for state, count in sorted(result["outbox"].items()))
    print(f"{outbox} {result['events_per_s']:.1f} {cpu * 1e6 / events:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("other", type=Path, help="another checkout of Deputy (a git worktree)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--events", type=int, default=1500)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.other.resolve(), args.events)
        return
    trees = {"other": args.other.resolve(), "this": ROOT}
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    outcomes: dict[str, set[str]] = {name: set() for name in trees}
    for _ in range(args.rounds):
        for name, root in trees.items():
            out = subprocess.run(
                [sys.executable, __file__, str(root), "--child", "--events", str(args.events)],
                capture_output=True,
                text=True,
                check=True,
                cwd=root,
            ).stdout.split()
            found[name].append((float(out[-2]), float(out[-1])))
            outcomes[name].add(out[-3])
    for name, root in trees.items():
        rates = sorted(r for r, _ in found[name])
        cpus = sorted(c for _, c in found[name])
        print(
            f"{name} ({root}): {statistics.median(rates):.0f} events/s to done (runs {rates}),"
            f" loop thread CPU {statistics.median(cpus):.0f} us/event (runs {cpus});"
            f" outbox {' / '.join(sorted(outcomes[name]))}"
        )
    if outcomes["this"] != outcomes["other"]:
        print("the trees committed different work: the figures compare different workloads")
    ratio = statistics.median(r for r, _ in found["this"]) / statistics.median(r for r, _ in found["other"])
    print(f"this / other, events/s medians: {ratio:.2f}")


if __name__ == "__main__":
    main()
