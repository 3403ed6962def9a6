"""The live rulebook: reloaded when a rule file changes; a broken edit keeps the last
good rulebook in force and says why, rather than dropping rules silently."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from bot.errors import ConfigError
from bot.learned import fingerprint, load_active_rules
from bot.rules import Rulebook, load_rulebook

log = logging.getLogger("deputy.rules")


class RulebookSource:
    def __init__(self, rules_dir: Path, *, check_every: float = 2.0, db_path: Path | None = None) -> None:
        """``db_path``: the store whose active learned rules join the rule files."""
        self.rules_dir = rules_dir
        self.check_every = check_every
        self.db_path = db_path
        self._rulebook = self._load()  # the first load must succeed
        self._stamp = self._fingerprint()
        self._checked = time.monotonic()

    def _load(self) -> Rulebook:
        # ----- learned rules (bot/learned.py) -----
        extra = load_active_rules(self.db_path) if self.db_path is not None else ()
        return load_rulebook(self.rules_dir, extra_rules=extra)

    def _fingerprint(self) -> tuple[object, ...]:
        files = tuple(
            (p.name, p.stat().st_mtime, p.stat().st_size) for p in sorted(self.rules_dir.glob("*.md"))
        )
        return (files, fingerprint(self.db_path) if self.db_path is not None else ())

    def refresh(self) -> Rulebook:
        """Check for changes now (after a learned rule was confirmed or rolled back)."""
        self._checked = time.monotonic() - self.check_every
        return self()

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
                    self._rulebook = self._load()
                    log.info("rules reloaded: %d rules", len(self._rulebook.rules))
                except ConfigError as exc:
                    log.error("rules changed but do not load; keeping the previous rules:\n%s", exc)
        return self._rulebook
