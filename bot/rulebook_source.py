"""The live rulebook: reloaded when a rule file changes; a broken edit keeps the last
good rulebook in force and says why, rather than dropping rules silently."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from bot.errors import ConfigError
from bot.rules import Rulebook, load_rulebook

log = logging.getLogger("deputy.rules")


class RulebookSource:
    def __init__(self, rules_dir: Path, *, check_every: float = 2.0) -> None:
        self.rules_dir = rules_dir
        self.check_every = check_every
        self._rulebook = load_rulebook(rules_dir)  # the first load must succeed
        self._stamp = self._fingerprint()
        self._checked = time.monotonic()
        self.last_error = ""

    def _fingerprint(self) -> tuple[tuple[str, float, int], ...]:
        return tuple(
            (p.name, p.stat().st_mtime, p.stat().st_size) for p in sorted(self.rules_dir.glob("*.md"))
        )

    def __call__(self) -> Rulebook:
        now = time.monotonic()
        if now - self._checked >= self.check_every:
            self._checked = now
            try:
                stamp = self._fingerprint()
            except OSError:
                return self._rulebook
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._rulebook = load_rulebook(self.rules_dir)
                    self.last_error = ""
                    log.info("rules reloaded: %d rules", len(self._rulebook.rules))
                except ConfigError as exc:
                    self.last_error = str(exc)
                    log.error("rules changed but do not load; keeping the previous rules:\n%s", exc)
        return self._rulebook
