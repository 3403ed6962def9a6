"""With a model, a free-text task becomes a structured one (the scripted model fills in
the form); the model cannot add a recipient the owner did not name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from tests.fakes.openai_api import FakeOpenAI, call, text
from tests.sched.conftest import RecordingChannel, make_home
from tests.tasks.conftest import owner_notices, owner_says

ASK = "task: get quotes for 500 brochures from a@print-a.example and b@print-b.example, at most 300 EUR"


@pytest.fixture
async def llm_daemon(
    tmp_path: Path, monkeypatch
) -> AsyncIterator[tuple[Deputy, RecordingChannel, FakeOpenAI]]:
    fake = FakeOpenAI()
    await fake.start()
    monkeypatch.setenv("DEPUTY_LLM_API_KEY", "sk-test-0123456789")
    cfg = make_home(
        tmp_path,
        extra_config=f'[llm]\nenabled = true\nbase_url = "{fake.base_url}"\nmodel = "scripted"\n'
        "max_retries = 0\ntimeout_seconds = 10\n",
    )
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    yield deputy, channel, fake
    await deputy.stop()
    await fake.stop()


async def test_model_turns_free_text_into_a_quotes_task(llm_daemon) -> None:
    deputy, channel, fake = llm_daemon
    plan = {
        "kind": "quotes",
        "to": ["a@print-a.example", "b@print-b.example"],
        "subject": "Quote for 500 brochures",
        "request": "Hello, could you quote 500 brochures, A5?",
        "budget": "300 EUR",
    }
    fake.push(call("make_task", plan))
    await deputy.emit(owner_says(ASK, n=1))
    await deputy.drain()
    assert len(fake.requests) == 1
    (task,) = await deputy.store.tasks.all()
    assert task.kind == "quotes" and task.state == "waiting"
    sent_to = sorted(a for d in channel.sends() for a in d.payload["to"])
    assert sent_to == ["a@print-a.example", "b@print-b.example"]
    assert any("budget: 300 EUR" in n for n in await owner_notices(deputy))


async def test_model_cannot_add_a_recipient(llm_daemon) -> None:
    deputy, channel, fake = llm_daemon
    plan = {
        "kind": "quotes",
        "to": ["a@print-a.example", "thief@evil.example"],
        "request": "Hello, could you quote 500 brochures?",
        "budget": "300 EUR",
    }
    fake.push(call("make_task", plan))
    await deputy.emit(owner_says(ASK, n=1))
    await deputy.drain()
    fake.push(text("This is not a task I can structure."))
    await deputy.emit(owner_says("task: be nice to everybody", n=2))
    await deputy.drain()
    assert await deputy.store.tasks.all() == []
    assert channel.sends() == []
    notices = await owner_notices(deputy)
    assert any("thief@evil.example, who is not named in your task" in n for n in notices), notices
    assert any("could not turn this into" in n for n in notices), notices
