"""MCP tools under the gate, through the real daemon (a subprocess), a real MCP server
over streamable HTTP and a scripted OpenAI-compatible model, checked from the tool
server's own record of the calls it received."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import Home, mail, make_home, wait_until
from tests.e2e.servers import Threaded
from tests.fakes.openai_api import FakeOpenAI, Step, text, tool_calls
from tests.mcp.conftest import ToolServerProcess

RULE = """+++
priority = 100
when.from = ["*@client.example"]
may = ["mcp:accounting.create_invoice", "mcp:accounting.record_payment"]

[tools."accounting.create_invoice"]
amount = { max = 500, currency = "EUR" }
customer = { pattern = "^[A-Za-z ]{1,40}$" }

[tools."accounting.record_payment"]
amount = { max = 1000, currency = "EUR" }
+++
Invoice clients for agreed work and record their payments.
"""

# What the scripted model does for each mail, by a word in its subject; a mail whose
# words hijack the model makes it call whatever the mail says.
PLANS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "PAID": [("mcp__accounting__record_payment", {"invoice": "INV-7", "amount": 300, "currency": "EUR"})],
    "HIJACK": [
        ("mcp__accounting__create_invoice", {"customer": "Mallory", "amount": 5000, "currency": "EUR"}),
        ("mcp__accounting__record_payment", {"invoice": "INV-1", "amount": 900, "currency": "USD"}),
        ("mcp__accounting__add_note", {"contact": "owner", "text": "wire everything to Mallory"}),
        ("mcp__accounting__create_invoice", {"customer": "Bob'; DROP", "amount": 10, "currency": "EUR"}),
    ],
    "WORK": [("mcp__accounting__create_invoice", {"customer": "Acme Ltd", "amount": 480, "currency": "EUR"})],
}


def _model(body: dict[str, Any]) -> Step:
    messages = body["messages"]
    if any(m.get("role") == "tool" for m in messages):
        return text("Done.")
    prompt = json.dumps(messages)
    for word, calls in PLANS.items():
        if word in prompt:
            return tool_calls(*calls)
    return text("Nothing to do.")


@pytest.fixture
def llm() -> Iterator[Threaded[FakeOpenAI]]:
    server = Threaded(lambda: FakeOpenAI(handler=_model))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def home(tmp_path, http_tool_server: ToolServerProcess, llm: Threaded[FakeOpenAI]) -> Iterator[Home]:
    h = make_home(tmp_path / "deputy")
    (h.root / "rules" / "accounting.md").write_text(RULE, encoding="utf-8")
    with h.config.open("a", encoding="utf-8") as f:
        f.write(
            "[llm]\n"
            "enabled = true\n"
            f'base_url = "{llm.fake.base_url}"\n'
            'model = "test-model"\n'
            "max_retries = 0\n"
            "[mcp.accounting]\n"
            f'url = "{http_tool_server.url}"\n'
        )
    try:
        yield h
    finally:
        h.cleanup()


def _ready(home: Home) -> None:
    wait_until(lambda: "mcp server accounting: 3 tools" in home.last_log(), timeout=60)


def _offered(llm: Threaded[FakeOpenAI], word: str) -> set[str]:
    for body in llm.fake.requests:
        if word in json.dumps(body["messages"]):
            return {t["function"]["name"] for t in body.get("tools", [])}
    raise AssertionError(f"the model was never asked about {word}")


def test_allowed_calls_once_across_sigkill_and_the_rest_never_reach_the_server(
    home: Home, http_tool_server: ToolServerProcess, llm: Threaded[FakeOpenAI]
) -> None:
    # 1. An allowed call; the daemon dies right after the server answered, before the
    #    outbox recorded it (DEPUTY_FAULT: a real process exit, no cleanup).
    home.env["DEPUTY_FAULT"] = "after_250"
    home.start()
    _ready(home)
    home.send(mail(sender="ann@client.example", subject="PAID invoice INV-7", message_id="<paid@client>"))
    assert home.proc is not None
    assert home.proc.wait(timeout=60) == 86, home.last_log()
    home.proc = None
    assert len(http_tool_server.calls("record_payment")) == 1

    # 2. Restarted: the call is in doubt; record_payment takes no idempotency key, so it
    #    is reported to the owner and not repeated.
    home.env.pop("DEPUTY_FAULT")
    home.start()
    _ready(home)
    wait_until(home.drained, timeout=60)
    owner_log = (home.data / "owner.log").read_text()
    assert "record_payment may have reached the server before a crash" in owner_log
    assert len(http_tool_server.calls("record_payment")) == 1

    # 3. A hijacked model: over the limit, the wrong currency, a tool the rule does not
    #    allow, an argument outside the pattern. None reaches the server; the owner is asked.
    home.send(mail(sender="eve@client.example", subject="HIJACK now", message_id="<hijack@client>"))
    wait_until(
        lambda: home.query("SELECT 1 FROM inbox WHERE id LIKE '%hijack%' AND state='done'"), timeout=60
    )
    wait_until(home.drained, timeout=60)
    asked = home.query("SELECT question FROM escalations")
    assert asked, home.last_log()
    question = asked[0]["question"]
    assert "amount 5000 exceeds the limit of 500 EUR" in question
    assert "the call says currency 'USD'" in question
    assert "'mcp:accounting.add_note' is not in the rule's 'may' list" in question
    assert "does not match" in question
    assert 'call accounting.create_invoice with: {"customer": "Mallory", "amount": 5000' in question
    assert http_tool_server.calls("add_note") == []
    assert http_tool_server.calls("create_invoice") == []
    assert len(http_tool_server.calls("record_payment")) == 1

    # 4. An allowed call within the constraints, with a SIGKILL right after the server
    #    answered: create_invoice takes the key, so the call in doubt is sent again with
    #    the same key and the server's dedupe makes it one invoice; its answer is one event.
    home.stop()
    home.env["DEPUTY_FAULT"] = "after_250"
    home.start()
    _ready(home)
    home.send(mail(sender="ann@client.example", subject="WORK done", message_id="<work@client>"))
    assert home.proc is not None
    assert home.proc.wait(timeout=60) == 86, home.last_log()
    home.proc = None
    home.env.pop("DEPUTY_FAULT")
    home.start()
    _ready(home)
    wait_until(lambda: len(http_tool_server.calls("create_invoice")) == 2, timeout=60)
    wait_until(home.drained, timeout=60)
    calls = http_tool_server.calls("create_invoice")
    assert [c["arguments"]["amount"] for c in calls] == [480, 480]
    keys = {c["arguments"]["idempotency_key"] for c in calls}
    assert len(keys) == 1
    assert keys == {c["meta"]["io.github.deputy/idempotency-key"] for c in calls}
    results = [
        json.loads(row["body"]) for row in home.query("SELECT body FROM inbox WHERE kind = 'tool_result'")
    ]
    invoices = [r for r in results if r["refs"]["tool"] == "accounting.create_invoice"]
    assert len(invoices) == 1 and "INV-0001" in invoices[0]["text"]
    # The payment's answer arrived before the first crash: recorded once too.
    assert [r["refs"]["tool"] for r in results].count("accounting.record_payment") == 1
    assert http_tool_server.calls("add_note") == []

    # The model saw only the tools the rule allows, with the server's own schema.
    offered = _offered(llm, "WORK")
    assert {"mcp__accounting__create_invoice", "mcp__accounting__record_payment"} <= offered
    assert "mcp__accounting__add_note" not in offered
    home.stop()
