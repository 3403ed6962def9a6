"""Owner answers in free text: deterministic first, the model only for the rest."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.actions import Escalate
from bot.agent.answer import interpret_answer, interpret_deterministic
from bot.agent.llm_client import LLMClient
from tests.fakes.openai_api import FakeOpenAI, call, error, text

ASK = Escalate(
    question="Accept 450 EUR?",
    options=("Accept their 450 EUR", "Hold at 500 EUR", "Decline politely", "Do nothing"),
    default_option=3,
)


@pytest.mark.parametrize(
    ("answer", "option"),
    [
        ("2", 1),
        ("option 3", 2),
        ("#1", 0),
        ("hold at 500 eur", 1),
        ("Decline", 2),
        ("yes", 0),
        ("OK!", 0),
        ("no", 3),
        ("do nothing", 3),
        ("2, always", 1),
    ],
)
def test_deterministic(answer: str, option: int) -> None:
    found = interpret_deterministic(answer, ASK)
    assert found is not None and found.option == option
    assert found.always == ("always" in answer)


def test_amount_and_out_of_range() -> None:
    found = interpret_deterministic("480 EUR", ASK)
    assert found is not None and found.amount == 480
    assert interpret_deterministic("9", ASK) is None


async def test_without_model_unclear() -> None:
    found = await interpret_answer("hmm, let me think, maybe later", ASK)
    assert found.source == "unclear"


async def test_model_reads_the_rest(fake: FakeOpenAI, make_client: Callable[..., LLMClient]) -> None:
    client = make_client(max_retries=0)
    fake.push(call("counter_offer", {"amount": 300}))
    found = await interpret_answer("yes, but only 300", ASK, client=client)
    assert found.source == "llm" and found.amount == 300 and found.usage.calls == 1
    assert "<owner_answer>" in fake.requests[0]["messages"][1]["content"]
    fake.push(call("send_reply", {"text": "Let's talk on Monday."}))
    found = await interpret_answer("tell them let's talk on Monday", ASK, client=client)
    assert found.reply_text == "Let's talk on Monday."
    fake.push(call("choose_option", {"index": 9}))
    assert (await interpret_answer("the fourth-ish one", ASK, client=client)).source == "unclear"
    fake.push(text("no idea"))
    assert (await interpret_answer("whatever you think", ASK, client=client)).source == "unclear"
    fake.push(error(500))
    assert (await interpret_answer("whatever", ASK, client=client)).source == "unclear"
