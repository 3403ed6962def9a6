"""Where the pipeline's loop-thread CPU goes: the bench/pipeline.py workload (rules-only
invoices from ``bench/mail_mix.py``, pages of 100, after a warm-up of 200 events), with
the CPU time of the text-reading steps summed per event (``time.thread_time_ns`` around
each call) beside the loop thread's whole CPU per event. The steps are synchronous
functions called on the loop thread, so their sums are exact; what is left is the
pipeline's own steps, the store's round trips and the event loop. No assertions.

    .venv/bin/python bench/pipeline_stages.py [--events 1500]
"""

from __future__ import annotations

import argparse
import collections
import functools
import importlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import pipeline as workload  # noqa: E402

from bot import event_loop  # noqa: E402

# (module that calls the step, attribute path of the step as that module sees it)
STEPS = (
    ("bot.pipeline.facts_reader", "extract"),
    ("bot.pipeline.facts_reader", "in_context"),
    ("bot.pipeline.router", "select"),
    ("bot.pipeline.router", "no_reply_reason"),
    ("bot.gate.policy", "PolicyGate.check"),
)


def timed(spent: collections.Counter[str]) -> None:
    for module_name, path in STEPS:
        owner: Any = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        step = getattr(owner, name)

        @functools.wraps(step)
        def wrapper(*args: Any, _step: Any = step, _path: str = path, **kwargs: Any) -> Any:
            start = time.thread_time_ns()
            try:
                return _step(*args, **kwargs)
            finally:
                spent[_path] += time.thread_time_ns() - start

        setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1500)
    args = parser.parse_args()
    spent: collections.Counter[str] = collections.Counter()
    timed(spent)
    with tempfile.TemporaryDirectory(prefix="deputy-stages-") as tmp:
        (Path(tmp) / "warm").mkdir()
        (Path(tmp) / "run").mkdir()
        event_loop.run(workload.run_pipeline(Path(tmp) / "warm", 200, page=100), kind="uvloop")
        spent.clear()
        result = event_loop.run(
            workload.run_pipeline(Path(tmp) / "run", args.events, page=100), kind="uvloop"
        )
    cpu = float(result["main_thread_cpu_us_per_event"])  # from the first emit to the last done
    print(f"{args.events} events, {result['events_per_s']:.0f} events/s; loop thread CPU {cpu:.0f} us/event")
    steps = 0.0
    for path, ns in spent.most_common():
        steps += ns / 1e3 / args.events
        print(f"  {ns / 1e3 / args.events:7.1f} us/event  {path}")
    print(f"  {cpu - steps:7.1f} us/event  the rest (pipeline steps, store round trips, event loop)")


if __name__ == "__main__":
    main()
