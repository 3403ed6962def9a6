"""The whole process's CPU per event beside the loop thread's, for this tree or another.

``bench/pipeline_ab.py`` compares the loop thread's CPU; this adds the process's (the
loop plus SQLite's thread) and the wall time per event, which say whether spreading the
work over more cores could close a gap: a tree needing N us of CPU per event cannot go
faster than N / cores however its work is split. Same workload as ``pipeline_ab.py``
(``bench/pipeline.py``'s ``run_pipeline`` with this tree's ``bench/mail_mix.py`` bodies,
pages of 100, after a warm-up of 200 events). No assertions.

    .venv/bin/python bench/pipeline_cpu.py [TREE] [--events 1500]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from pipeline_ab import _load  # noqa: E402  (one loader of another tree's modules)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tree", type=Path, nargs="?", default=ROOT, help="a checkout of Deputy")
    parser.add_argument("--events", type=int, default=1500)
    args = parser.parse_args()
    root = args.tree.resolve()
    mix = _load("cpu_mail_mix", ROOT / "bench" / "mail_mix.py")
    sys.path.insert(0, str(root))
    bench = _load("cpu_tree_pipeline", root / "bench" / "pipeline.py")
    own = bench.make_event
    bench.make_event = lambda n: dataclasses.replace(own(n), **mix.invoice_mail(n))
    from bot import event_loop

    with tempfile.TemporaryDirectory(prefix="deputy-cpu-") as tmp:
        (Path(tmp) / "warm").mkdir()
        (Path(tmp) / "run").mkdir()
        event_loop.run(bench.run_pipeline(Path(tmp) / "warm", 200, page=100), kind="uvloop")
        t0, p0, w0 = time.thread_time(), time.process_time(), time.perf_counter()
        result = event_loop.run(bench.run_pipeline(Path(tmp) / "run", args.events, page=100), kind="uvloop")
        t1, p1, w1 = time.thread_time(), time.process_time(), time.perf_counter()
    n = args.events
    print(
        f"{root}: loop thread {(t1 - t0) / n * 1e6:.0f} us, process {(p1 - p0) / n * 1e6:.0f} us, "
        f"wall {(w1 - w0) / n * 1e6:.0f} us per event; {result['events_per_s']:.0f} events/s"
    )


if __name__ == "__main__":
    main()
