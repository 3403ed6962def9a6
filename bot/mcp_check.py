"""`deputy check` for MCP: a tool server that cannot start, a secret that is not set, or
a rule that allows a tool of a server that is not configured is refused before the
daemon meets it. Each problem names the file and the key."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bot.actions import MCP_PREFIX
from bot.config import Settings
from bot.errors import ConfigError
from bot.rules.model import Rule
from bot.rules.tools import split_name


def mcp_problems(settings: Settings, rules: tuple[Rule, ...]) -> list[str]:
    src = settings.source
    problems: list[str] = []
    enabled = {name for name, conf in settings.mcp.items() if conf.enabled}
    for name in sorted(enabled):
        conf = settings.mcp[name]
        if conf.command:
            program = conf.command[0]
            found = shutil.which(program) if os.sep not in program else program
            if not found or not Path(found).exists():
                problems.append(f"{src}: mcp.{name}.command: {program!r} is not a program on PATH")
        for target, source in conf.env.items():
            if not os.environ.get(source):
                problems.append(f"{src}: mcp.{name}.env.{target}: environment variable {source} is not set")
        if conf.token_env and not os.environ.get(conf.token_env):
            problems.append(f"{src}: mcp.{name}.token_env: environment variable {conf.token_env} is not set")
    served = settings.mcp_server
    if served.enabled and not os.environ.get(served.token_env):
        problems.append(f"{src}: mcp_server.token_env: environment variable {served.token_env} is not set")
    for rule in rules:
        for entry in sorted(n for n in rule.may if n.startswith(MCP_PREFIX)):
            parts = split_name(entry.removeprefix(MCP_PREFIX))
            if parts is not None and parts[0] not in enabled:
                problems.append(f"{rule.path}: may: {entry!r} names no enabled [mcp.{parts[0]}] in {src}")
    return problems


def check_mcp(settings: Settings, rules: tuple[Rule, ...]) -> None:
    problems = mcp_problems(settings, rules)
    if problems:
        raise ConfigError("\n".join(problems))
