"""`deputy check` refuses an MCP setup that cannot work, naming the file and the key."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.mcp_check import mcp_problems
from bot.rules.loader import parse_rule

RULE = parse_rule(
    Path("rules/acc.md"), '+++\nmay = ["mcp:accounting.create_invoice", "mcp:crm.add_note"]\n+++\n'
)


def _settings(mcp: dict[str, object], served: dict[str, object] | None = None) -> Settings:
    return Settings.model_validate(
        {"mcp": mcp, "mcp_server": served or {}, "source": Path("/home/me/config.toml")}
    )


def test_a_working_setup_has_no_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACC_KEY", "k" * 12)
    settings = _settings(
        {
            "accounting": {"command": [sys.executable, "server.py"], "env": {"API_KEY": "ACC_KEY"}},
            "crm": {"url": "http://127.0.0.1:9/mcp"},
        }
    )
    assert mcp_problems(settings, (RULE,)) == []


def test_each_problem_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACC_KEY", raising=False)
    monkeypatch.delenv("DEPUTY_MCP_TOKEN", raising=False)
    settings = _settings(
        {"accounting": {"command": ["no-such-mcp-server-xyz"], "env": {"API_KEY": "ACC_KEY"}}},
        {"enabled": True},
    )
    problems = mcp_problems(settings, (RULE,))
    assert problems == [
        "/home/me/config.toml: mcp.accounting.command: 'no-such-mcp-server-xyz' is not a program on PATH",
        "/home/me/config.toml: mcp.accounting.env.API_KEY: environment variable ACC_KEY is not set",
        "/home/me/config.toml: mcp_server.token_env: environment variable DEPUTY_MCP_TOKEN is not set",
        "rules/acc.md: may: 'mcp:crm.add_note' names no enabled [mcp.crm] in /home/me/config.toml",
    ]


def test_a_server_needs_exactly_one_transport() -> None:
    for conf in ({}, {"command": ["x"], "url": "http://127.0.0.1:1/mcp"}):
        with pytest.raises(ValueError, match="exactly one of 'command'"):
            _settings({"accounting": conf})
