"""Named model endpoints per department and stage, against two scripted
OpenAI-compatible servers on different ports (the openai client unpatched): each stage
calls the endpoint it names and only it; at the daily cap a department falls back to
its rules and tells its supervisor once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import RecordingChannel
from tests.core.helpers import mail
from tests.departments.conftest import Org, org_home
from tests.fakes.openai_api import FakeOpenAI, call, text

# A sales rule that needs judgment (a reply with no template): the model decides.
QUESTIONS = """+++
description = "Questions about the service: answered with judgment"
priority = 5
when.keywords = ["question"]
may = ["reply"]
+++
Answer questions about the service briefly.
"""
ACCOUNTS_QUESTIONS = QUESTIONS.replace("the service", "payments")


@pytest.fixture
async def servers() -> AsyncIterator[tuple[FakeOpenAI, FakeOpenAI]]:
    small, strong = FakeOpenAI(), FakeOpenAI()
    await small.start()
    await strong.start()
    yield small, strong
    await small.stop()
    await strong.stop()


async def _org(
    tmp_path: Path, small: FakeOpenAI, strong: FakeOpenAI, *, budget: str = "2.0", small_cap: str = "1000.0"
) -> Org:
    cfg = org_home(
        tmp_path,
        replace={
            'base_url = "http://127.0.0.1:11434/v1"': f'base_url = "{small.base_url}"\nmax_retries = 0',
            'base_url = "https://api.openai.com/v1"': f'base_url = "{strong.base_url}"\nmax_retries = 0',
            'api_key_env = "OPENAI_API_KEY"': 'api_key_env = ""',
            '# models = { decide = "small", write': 'models = { decide = "small", write',
            '# models = { decide = "small" }': 'models = { decide = "strong" }',
            "daily_budget = 2.0": f"daily_budget = {budget}",
            "price_in_per_mtok = 0.05": "price_in_per_mtok = 1000.0",
            "daily_cap = 0.50": f"daily_cap = {small_cap}",
        },
    )
    (cfg.parent / "rules" / "sales" / "questions.md").write_text(QUESTIONS)
    (cfg.parent / "rules" / "accounts" / "questions.md").write_text(ACCOUNTS_QUESTIONS)
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    return Org(deputy, channel)


def _question(n: int, to: str = "sales@example.test"):  # type: ignore[no-untyped-def]
    return mail(
        sender="buyer@client.test",
        subject=f"Service {n}",
        text=f"A question: do you work on weekends? ({n})",
        to=(to,),
    )


async def test_each_stage_calls_the_endpoint_it_names_and_only_it(
    tmp_path: Path, servers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    small, strong = servers
    small.push(call("reply", {"text": "Yes, we work on Saturdays."}))
    strong.push(text("Thank you for asking: yes, we also work on Saturdays."))  # the writer
    strong.push(call("reply", {"text": "Payments: we answer on weekdays."}))  # accounts decides
    org = await _org(tmp_path, small, strong)
    try:
        await org.deputy.emit(_question(1))
        await org.settle()
        # sales: decide on "small" (the tool loop), write on "strong" (no tools)
        assert len(small.requests) == 1 and small.requests[0]["tools"]
        assert len(strong.requests) == 1 and not strong.requests[0].get("tools")
        assert strong.requests[0]["messages"][0]["content"].startswith(
            "You rewrite a draft reply in the voice of the sales department"
        )
        assert strong.requests[0]["messages"][1]["content"] == "Yes, we work on Saturdays."
        (sent,) = org.channel.sends()
        assert sent.payload["text"].startswith("Thank you for asking: yes, we also work on Saturdays.")

        await org.deputy.emit(_question(2, to="accounts@example.test"))
        await org.settle()
        # accounts names "strong" for deciding and nothing for writing: "small" is not called
        assert len(small.requests) == 1
        assert len(strong.requests) == 2 and strong.requests[1]["tools"]
        assert [d.payload["text"].splitlines()[0] for d in org.channel.sends()][
            1
        ] == "Payments: we answer on weekdays."
        spend = await org.deputy.store.spend.day(datetime.now(UTC).date().isoformat())
        assert {(d, e) for d, e, _, _ in spend} == {
            ("sales", "small"),
            ("sales", "strong"),
            ("accounts", "strong"),
        }
    finally:
        await asyncio.wait_for(org.deputy.stop(), 30)


async def test_at_the_daily_cap_a_department_falls_back_to_rules_and_tells_its_supervisor_once(
    tmp_path: Path, servers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    small, strong = servers
    small.push(call("reply", {"text": "Yes, we work on Saturdays."}))
    org = await _org(tmp_path, small, strong, budget="0.001")  # one call costs more
    try:
        for n in (1, 2, 3):
            await org.deputy.emit(_question(n))
            await org.settle()
        # sales decides on "small": only its first question used it; that decision alone
        # spent the budget, so its draft was not sent to the writer either. (Accounts,
        # asked the later questions, decides on "strong" within its own budget.)
        assert len(small.requests) == 1
        assert [r for r in strong.requests if not r.get("tools")] == []
        audit = await org.audit()
        judged = [a for a in audit if a["event_id"].startswith("local:")]
        assert judged[0]["outcome"] == "handled"
        for later in judged[1:]:
            assert later["outcome"] == "escalated"  # rules alone cannot answer: asked upwards
        reasons = await org.deputy.store.db.fetchall(
            "SELECT reasons FROM audit WHERE event_id LIKE 'local:%'"
        )
        assert all("daily budget (0.001) is spent: rules only" in r["reasons"] for r in reasons[1:])
        day = datetime.now(UTC).date().isoformat()
        told = [e for e in await org.events() if e.id == f"departments:budget:sales:{day}"]
        assert len(told) == 1, "the supervisor is told once"
        assert told[0].refs["department"] == "accounts"  # sales' supervisor, not the owner
        assert "works by its rules alone" in told[0].text
    finally:
        await asyncio.wait_for(org.deputy.stop(), 30)


async def test_an_endpoints_daily_cap_holds_over_every_department(
    tmp_path: Path, servers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    small, strong = servers
    small.push(call("reply", {"text": "Yes, we work on Saturdays."}))
    org = await _org(tmp_path, small, strong, small_cap="0.001")
    try:
        for n in (1, 2):
            await org.deputy.emit(_question(n))
            await org.settle()
        assert len(small.requests) == 1
        reasons = await org.deputy.store.db.fetchall(
            "SELECT reasons FROM audit WHERE event_id LIKE 'local:%'"
        )
        assert "the daily cap of model small (0.001) is reached: rules only" in reasons[1]["reasons"]
    finally:
        await asyncio.wait_for(org.deputy.stop(), 30)


async def test_a_department_naming_no_model_uses_the_llm_section(
    tmp_path: Path, servers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    small, _ = servers
    small.push(call("reply", {"text": "Payments: we answer on weekdays."}))
    cfg = org_home(
        tmp_path,
        extra=f'\n[llm]\nenabled = true\nbase_url = "{small.base_url}"\nmodel = "default"\nmax_retries = 0\n',
    )
    (cfg.parent / "rules" / "accounts" / "questions.md").write_text(ACCOUNTS_QUESTIONS)
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    try:
        await deputy.emit(_question(1, to="accounts@example.test"))
        await Org(deputy, channel).settle()
        assert [r["model"] for r in small.requests] == ["default"]
        (sent,) = channel.sends()
        assert sent.payload["text"].startswith("Payments: we answer on weekdays.")
    finally:
        await asyncio.wait_for(deputy.stop(), 30)
