"""The daemon's health: each long-lived part is ok or degraded, with the reason and since
when, so "nothing happens" always has an answer (``deputy status``, the log).

The registry is in memory and changes only on a transition; each transition is logged,
handed to the listeners (the owner's alarm) and written to ``health.json`` beside the
database for ``deputy status``. That file is best effort: on a full disk it may lag,
the log line does not.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger("deputy.health")


@dataclass(frozen=True, slots=True)
class PartHealth:
    part: str
    ok: bool
    since: float  # wall-clock time of the last transition
    reason: str = ""


Listener = Callable[[PartHealth, PartHealth], None]  # (now, before)


class Health:
    def __init__(self, *, path: Path | None = None, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._parts: dict[str, PartHealth] = {}
        self._listeners: list[Listener] = []
        self._stopped = False
        self.failures: dict[str, int] = {}  # loop failures (each one a restart), for /metrics

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def register(self, part: str) -> None:
        """A part that is expected to run: ok from now until it fails."""
        if part not in self._parts:
            self._parts[part] = PartHealth(part=part, ok=True, since=self.clock())
            self._save()

    def part(self, part: str) -> PartHealth:
        return self._parts.get(part) or PartHealth(part=part, ok=True, since=0.0)

    def snapshot(self) -> list[PartHealth]:
        return [self._parts[p] for p in sorted(self._parts)]

    def all_ok(self) -> bool:
        return all(p.ok for p in self._parts.values())

    def degraded(self, part: str, reason: str) -> bool:
        """Record a failure of ``part``; True when it was ok until now (a new outage)."""
        self.failures[part] = self.failures.get(part, 0) + 1
        before = self.part(part)
        if not before.ok:
            if before.reason != reason:  # the same outage, a new symptom: keep ``since``
                self._parts[part] = PartHealth(part=part, ok=False, since=before.since, reason=reason)
                self._save()
            return False
        now = PartHealth(part=part, ok=False, since=self.clock(), reason=reason)
        self._change(now, before)
        log.error("%s is degraded: %s", part, reason)
        return True

    def ok(self, part: str) -> None:
        """Record that ``part`` works (cheap when it already did: called on every round)."""
        before = self._parts.get(part)
        if before is not None and before.ok:
            return
        now = PartHealth(part=part, ok=True, since=self.clock())
        self._change(now, before or now)
        if before is not None:
            log.warning(
                "%s works again (degraded for %.1fs: %s)", part, now.since - before.since, before.reason
            )

    def stopped(self) -> None:
        """The daemon stopped on purpose: ``deputy status`` says it is not running."""
        self._stopped = True
        self._save()

    def _change(self, now: PartHealth, before: PartHealth) -> None:
        self._parts[now.part] = now
        self._save()
        for listener in self._listeners:
            listener(now, before)

    def _save(self) -> None:
        if self.path is None:
            return
        data = {
            "pid": os.getpid(),
            "at": self.clock(),
            "stopped": self._stopped,
            "parts": [asdict(p) for p in self.snapshot()],
        }
        tmp = self.path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:  # a full disk: the log keeps the story
            log.debug("cannot write %s: %s", self.path, exc)


def read_status(path: Path) -> dict[str, object] | None:
    """What the daemon last wrote to ``health.json``, or None when there is none."""
    try:
        data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data
