"""`deputy status`: whether the daemon runs and which of its parts work, from the health
record it keeps beside the database (bot/health.py). It opens no database, so it answers
when the database is what fails.

Exit status: 0 running and every part ok, 1 not running, 5 running with a part degraded.
"""

from __future__ import annotations

import os
import time
from typing import Any

from bot.config import Settings
from bot.health import read_status

NOT_RUNNING, DEGRADED = 1, 5


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def _when(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(moment))


def status(settings: Settings) -> int:
    path = settings.data_dir / "health.json"
    data: dict[str, Any] | None = read_status(path)
    if data is None:
        print(f"Deputy is not running (no health record at {path}).")
        return NOT_RUNNING
    if data.get("stopped") or not _alive(int(data.get("pid", 0))):
        print(f"Deputy is not running (last record {_when(float(data.get('at', 0)))}).")
        return NOT_RUNNING
    parts = data.get("parts", [])
    bad = [p for p in parts if not p["ok"]]
    print(f"Deputy is running (pid {data['pid']}): {'all parts ok' if not bad else f'{len(bad)} degraded'}.")
    for p in parts:
        state = "ok" if p["ok"] else "DEGRADED"
        reason = f": {p['reason']}" if not p["ok"] else ""
        print(f"  {p['part']:<24} {state:<8} since {_when(p['since'])}{reason}")
    return DEGRADED if bad else 0
