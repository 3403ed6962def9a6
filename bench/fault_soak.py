"""The longest event-loop stall per injected fault, beside the floor of the same run.

  .venv/bin/python bench/fault_soak.py [--rounds N]

Runs the combined fault soak (``tests/faults/test_fault_soak.py``: a write lock held
past the busy timeout, a full disk at COMMIT, a 60,000-part mail, 1,000 idle connections,
the relay answering 451 for 10 minutes of the daemon's clock, the wall clock stepped back
1 h then forward 3 h; normal mail between them, in through the daemon's real SMTP
listener, replies out through a real SMTP relay) and prints what the daemon's own loop
probe (``bot/loop_lag.py``, 10 ms) saw for each fault; the floor is the "normal mail"
row: an ordinary mail with no fault, in the same run. ``--rounds 5`` is the soak
(DEPUTY_SOAK=1). Asserts nothing; the test itself checks 0 lost, 0 doubled.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/faults/test_fault_soak.py"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, choices=(1, 5), default=1)
    args = parser.parse_args()
    env = {**os.environ, "DEPUTY_SOAK": "1" if args.rounds == 5 else "0"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-s",
            "-p",
            "no:cacheprovider",
            "tests/faults/test_fault_soak.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "longest event-loop stall" in line), None)
    if start is None:
        print(done.stdout[-3000:], done.stderr[-2000:], sep="\n")
        return 1
    print(lines[start])
    for line in lines[start + 1 :]:
        if not line.startswith("  "):  # the table ends with the first line not indented
            break
        print(line)
    print("(floor: the 'normal mail' row, an ordinary mail with no fault, same run)")
    print("0 lost, 0 doubled, every part ok:", "yes" if done.returncode == 0 else "NO (the test failed)")
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
