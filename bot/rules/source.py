"""The live rulebook: reloaded when a rule file changes; a broken edit keeps the last
good rulebook in force and says why, rather than dropping rules silently.

Learned rules come from the store, asynchronously: ``refresh()`` reads them (the daemon
calls it at start and ``run()`` every ``check_every`` seconds), and the synchronous
``rules()`` call only returns the rulebook built from the last value read."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from bot.clock import wait_until_set
from bot.errors import ConfigError
from bot.rules import Rule, Rulebook, load_rulebook
from bot.rules.learned import rules_from
from bot.store import LearnedRules

log = logging.getLogger("deputy.rules")


class RulebookSource:
    def __init__(
        self, rules_dir: Path, *, check_every: float = 2.0, learned: LearnedRules | None = None
    ) -> None:
        """``learned``: the store's learned rules; their active ones join the rule files
        once ``refresh()`` has read them."""
        self.rules_dir = rules_dir
        self.check_every = check_every
        self.learned = learned
        self._learned_rules: tuple[Rule, ...] = ()
        self._learned_stamp: tuple[object, ...] = ()
        self._rulebook = self._load()  # the first load must succeed
        self._stamp: tuple[object, ...] | None = self._files_stamp()
        self._checked = time.monotonic()
        self._stopping = asyncio.Event()

    def _load(self) -> Rulebook:
        return load_rulebook(self.rules_dir, extra_rules=self._learned_rules)

    def _files_stamp(self) -> tuple[object, ...]:
        return tuple(
            (p.name, p.stat().st_mtime, p.stat().st_size) for p in sorted(self.rules_dir.glob("*.md"))
        )

    def _reload(self) -> None:
        try:
            self._rulebook = self._load()
            log.info("rules reloaded: %d rules", len(self._rulebook.rules))
        except ConfigError as exc:
            log.error("rules changed but do not load; keeping the previous rules:\n%s", exc)

    async def refresh(self) -> Rulebook:
        """Check the rule files and the store's learned rules now (at start, and after a
        learned rule was confirmed or rolled back)."""
        if self.learned is not None:
            stamp = await self.learned.fingerprint()
            if stamp != self._learned_stamp:
                self._learned_rules = rules_from(await self.learned.active())
                self._learned_stamp = stamp
                self._stamp = None  # rebuild below, whatever the files say
        self._checked = time.monotonic() - self.check_every
        return self()

    async def run(self) -> None:
        """Until ``stop()``: refresh every ``check_every`` seconds, so a learned rule the
        owner confirms (from any channel or the command line) applies without a restart."""
        while not self._stopping.is_set():
            try:
                await self.refresh()
            except Exception:  # a busy or closing store: try again at the next round
                log.exception("learned rules could not be read")
            await wait_until_set(self._stopping, self.check_every)

    async def stop(self) -> None:
        self._stopping.set()

    def __call__(self) -> Rulebook:
        now = time.monotonic()
        if now - self._checked >= self.check_every:
            self._checked = now
            try:
                stamp = self._files_stamp()
            except OSError:
                return self._rulebook
            if stamp != self._stamp:
                self._stamp = stamp
                self._reload()
        return self._rulebook
