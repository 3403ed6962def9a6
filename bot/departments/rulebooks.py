"""Each department's rulebook: the rule files of its own folder (``rules/<name>/``),
named ``<department>/<rule>`` so the audit and every question say whose rule acted, under
the owner from the main ``rules/owner.md`` with the department's signature, plus the
learned rules the owner confirmed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from bot.rules.model import Rulebook
from bot.rules.source import RulebookSource


class DepartmentRules:
    def __init__(self, *, name: str, folder: Path, main: Callable[[], Rulebook], signature: str) -> None:
        self.name = name
        self.folder = folder
        self.main = main
        self.signature = signature
        self.source = RulebookSource(folder)  # fails now, naming the file, if a rule is broken
        self._built: tuple[object, object, Rulebook] | None = None

    def __call__(self) -> Rulebook:
        own, main = self.source(), self.main()
        if self._built is not None and self._built[0] is own and self._built[1] is main:
            return self._built[2]
        owner = main.owner
        if self.signature:
            owner = dataclasses.replace(owner, signature=self.signature)
        rules = tuple(dataclasses.replace(r, name=f"{self.name}/{r.name}") for r in own.rules)
        # Rules the owner taught and confirmed are the owner's policy, above every
        # department: they apply wherever the mail they describe arrives.
        rules += tuple(r for r in main.rules if r.learned)
        built = Rulebook(owner=owner, rules=rules, sources=own.sources)
        self._built = (own, main, built)
        return built
