"""What ``deputy check`` refuses in an organisation: a department whose rules folder is
missing or broken, a hand-off to a department nobody declared, a model whose key is not
in the environment."""

from __future__ import annotations

import os

from bot.config import Settings, line_of
from bot.departments.build import rules_folder
from bot.errors import ConfigError
from bot.rules import load_rulebook


def check_departments(settings: Settings) -> list[str]:
    """One line per department when all is well; ConfigError naming each problem."""
    problems: list[str] = []
    lines: list[str] = []
    text = settings.source.read_text(encoding="utf-8-sig") if settings.source.exists() else ""
    for name, dept in settings.departments.items():
        folder = rules_folder(settings, name)
        if not folder.is_dir():
            key = f"departments.{name}.rules"
            where = f"{settings.source}:{line_of(text, key)}" if line_of(text, key) else str(settings.source)
            problems.append(f"{where}: {key}: rules folder {folder} does not exist")
            continue
        try:
            book = load_rulebook(folder)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        for rule in book.rules:
            spec = rule.header.hand_off
            for target in spec.to if spec else ():
                if target not in settings.departments:
                    problems.append(f"{rule.path}: hand_off.to: no department named {target!r}")
        stages = ", ".join(f"{s}={m}" for s, m in dept.models.items()) or "rules only"
        lines.append(
            f"department {name}: {len(book.rules)} rules from {folder}; "
            f"supervisor {dept.supervisor}; {stages}"
        )
    for name, model in settings.models.items():
        if model.api_key_env and not os.environ.get(model.api_key_env):
            used = [d for d, dept in settings.departments.items() if name in dept.models.values()]
            if used:
                problems.append(
                    f"{settings.source}: models.{name}.api_key_env: environment variable "
                    f"{model.api_key_env} is not set (used by {', '.join(used)})"
                )
    if problems:
        raise ConfigError("\n".join(problems))
    ignored = [r.path.name for r in load_rulebook(settings.rules_dir).rules if not r.learned]
    if ignored:
        # With departments, only rules/<name>/ apply; a rule left beside owner.md would
        # look active and do nothing.
        lines.append(
            f"warning: {settings.rules_dir} has rules outside every department's folder "
            f"({', '.join(ignored)}): with departments declared they do not apply"
        )
    return lines
