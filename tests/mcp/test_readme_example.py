"""The README's tool server and rule, as written: the server lists its tool, and the
rule header loads and allows exactly that tool under its constraints."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mcp import Client

from bot.rules.loader import parse_rule

ROOT = Path(__file__).resolve().parents[2]
SECTION = (ROOT / "README.md").read_text(encoding="utf-8").split("## Tools from MCP servers", 1)[1]
SECTION = SECTION.split("\n## ", 1)[0]


def _block(kind: str) -> str:
    match = re.search(rf"```{kind}\n(.*?)```", SECTION, re.S)
    assert match, f"no {kind} block"
    return match[1]


async def test_the_readme_tool_server_answers_as_written() -> None:
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(_block("python"), "README.md", "exec"), namespace)
    async with Client(namespace["server"]) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert "idempotency_key" in tools["create_invoice"].input_schema["properties"]
        result = await client.call_tool(
            "create_invoice", {"customer": "Acme", "amount": 480, "currency": "EUR", "idempotency_key": "k"}
        )
    assert not result.is_error


def test_the_readme_rule_loads() -> None:
    rule = parse_rule(Path("rules/invoicing.md"), _block("markdown"))
    assert "mcp:accounting.create_invoice" in rule.may
    assert rule.header.tools["accounting.create_invoice"].arguments()["amount"].max == 500


def test_the_readme_rules_only_call_loads() -> None:
    block = next(b for b in re.findall(r"```toml\n(.*?)```", SECTION, re.S) if "[call." in b)
    rule = parse_rule(Path("rules/notes.md"), f"+++\n{block}+++\n")
    assert rule.header.call["crm.add_note"] == {"contact": "$sender", "text": "Wrote about: $subject"}
