"""The owner's edits teach the model: an edited draft of a rule is shown (newest first,
bounded) to the model when it writes that rule's next draft, through the real daemon
and the unpatched openai client against a loopback chat-completions server; a deleted
example is no longer shown."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Deputy
from bot.config import load
from bot.events import Event
from tests.core.conftest import ROOT, RecordingChannel, make_home
from tests.core.helpers import mail
from tests.fakes.openai_api import FakeOpenAI, hijacked

RULE = (
    '+++\nname = "quotes"\nwhen.subject = "(?i)quote"\nmay = ["reply"]\nautonomy = "draft"\n+++\n'
    "Answer quote requests briefly.\n"
)
OWNERS = "Dear Bob,\n\nthank you for asking. Our quote: see the attached sheet.\n\nKind regards,\nAlex"


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI(handler=hijacked())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def deputy(tmp_path: Path, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Deputy]:
    monkeypatch.setenv("DEPUTY_LLM_API_KEY", "sk-test-examples-0123456789")
    cfg = make_home(
        tmp_path,
        extra_config=f'[llm]\nenabled = true\nbase_url = "{fake.base_url}"\nmodel = "scripted"\n'
        "max_retries = 0\ntimeout_seconds = 10\n[autonomy]\nexamples = 2\n",
    )
    (tmp_path / "rules" / "quotes.md").write_text(RULE, encoding="utf-8")
    daemon = Deputy(load(cfg), extra_connectors={"local": ("local", RecordingChannel())})
    await daemon.start()
    yield daemon
    await daemon.stop()


def request(n: int) -> Event:
    directive = 'DEPUTY-DO reply {"text": "Quote: ask us."}'
    return mail(sender="bob@client.com", subject=f"Quote please {n}", text=f"Hello,\n{directive}\n")


def edit(draft: int, text: str) -> Event:
    """What ``deputy send ID --edit`` puts in the inbox."""
    return Event(
        id=f"cli:draft:{uuid.uuid4().hex}",
        channel="cli",
        kind="owner_answer",
        thread=f"cli-{draft}",
        sender="owner",
        sender_verified_owner=True,
        received_at=datetime.now(UTC),
        text=text,
        refs={"escalation_id": str(draft), "draft_op": "edit", "draft_text": text},
    )


async def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.cli", *args, "--config", str(home / "config.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def prompt_of(body: dict[str, object]) -> str:
    return json.dumps(body.get("messages"), ensure_ascii=False)


async def test_edited_drafts_are_shown_to_the_model_newest_first_and_can_be_deleted(
    deputy: Deputy, fake: FakeOpenAI, tmp_path: Path
) -> None:
    await deputy.emit(request(1))
    await deputy.drain()
    assert "owner_examples" not in prompt_of(fake.requests[0])  # nothing learned yet
    first = (await deputy.store.drafts.open())[-1].id
    await deputy.emit(edit(first, OWNERS))
    await deputy.drain()

    for n, text in ((2, OWNERS.replace("Kind regards", "Best")), (3, OWNERS.replace("Dear", "Hi"))):
        await deputy.emit(request(n))
        await deputy.drain()
        draft = (await deputy.store.drafts.open())[-1].id
        await deputy.emit(edit(draft, text))
        await deputy.drain()

    seen = len(fake.requests)
    await deputy.emit(request(4))
    await deputy.drain()
    prompt = json.loads(prompt_of(fake.requests[seen]))[1]["content"]
    assert "owner_examples" in prompt
    newest, older = OWNERS.replace("Dear", "Hi"), OWNERS.replace("Kind regards", "Best")
    assert prompt.index(newest.splitlines()[0]) < prompt.index(older.splitlines()[-2])  # newest first
    assert OWNERS not in prompt  # bounded: examples = 2, the oldest is left out

    listed = await cli(tmp_path, "examples")
    assert listed.returncode == 0 and listed.stdout.count("rule quotes") == 3
    gone = next(e.id for e in await deputy.store.drafts.examples(rule="quotes"))  # the newest
    deleted = await cli(tmp_path, "examples", "--delete", str(gone))
    assert deleted.returncode == 0, deleted.stderr
    seen = len(fake.requests)
    await deputy.emit(request(5))
    await deputy.drain()
    prompt = json.loads(prompt_of(fake.requests[seen]))[1]["content"]
    assert newest.splitlines()[0] not in prompt and OWNERS in prompt
