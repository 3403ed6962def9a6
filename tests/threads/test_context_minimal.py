"""Context minimisation: the model sees the matched rule and this conversation only.

Finding: for "Tell Carol we accept" the model was shown twelve recent conversations with
their texts and drafted into another correspondent's thread with Carol's contract
reference. Now code picks the conversation the owner named, the model sees that one only,
and an instruction that names none (or several) is asked back without a model call.
"""

from __future__ import annotations

import json

import pytest

from bot.app import Deputy
from tests.core.conftest import RecordingChannel
from tests.core.helpers import mail
from tests.core.test_llm_daemon import owner_says
from tests.fakes.openai_api import FakeOpenAI, call, text

PEOPLE = [
    ("carol@carol-corp.example", "Contract renewal", "Our contract ref is CR-5521-KX, please confirm."),
    ("dan@dan-ltd.example", "Partnership", "Shall we team up? Ref DN-1000-QQ."),
    ("erin@erin.example", "Invoice question", "About invoice INV-77812."),
    ("frank@frank.example", "Lunch", "Lunch on Friday? Code FR-4242-ZZ."),
    ("grace@grace.example", "Office move", "We move on the 12th, desk GR-9090-AB."),
    ("heidi@heidi.example", "Hiring", "Candidate HD-3131-CV applied."),
]


async def _conversations(deputy: Deputy) -> None:
    for sender, subject, body in PEOPLE:
        await deputy.emit(mail(sender=sender, subject=subject, text=body))
    await deputy.drain()


def _instruction_prompts(fake: FakeOpenAI) -> str:
    return json.dumps([r for r in fake.requests if "send_message" in json.dumps(r.get("tools", []))])


async def test_the_model_sees_only_the_named_conversation(
    llm_daemon: tuple[Deputy, RecordingChannel], fake: FakeOpenAI
) -> None:
    deputy, channel = llm_daemon
    await _conversations(deputy)
    fake.requests.clear()
    fake.push(call("send_message", {"conversation": 0, "text": "Hi Carol, we accept."}))
    await deputy.emit(owner_says("Tell Carol we accept", 1))
    await deputy.drain()
    prompt = _instruction_prompts(fake)
    assert "CR-5521-KX" in prompt
    for _, _, body in PEOPLE[1:]:
        assert body not in prompt
    # The model's draft is a proposal: the owner's yes sends it, to Carol only.
    assert channel.sends() == []
    (draft,) = [e for e in await deputy.store.escalations.open() if "Your instruction" in e.question]
    await deputy.emit(owner_says("1", 10, escalation_id=str(draft.id)))
    await deputy.drain()
    assert [s.payload["to"] for s in channel.sends()] == [["carol@carol-corp.example"]]


@pytest.mark.parametrize(
    "instruction",
    ["Tell them we accept", "Reply yes to the last one", "Accept the contract", "tell everyone hi"],
)
async def test_an_unnamed_conversation_is_asked_back_without_the_texts(
    llm_daemon: tuple[Deputy, RecordingChannel], fake: FakeOpenAI, instruction: str
) -> None:
    deputy, channel = llm_daemon
    await _conversations(deputy)
    fake.requests.clear()
    fake.push(call("send_message", {"conversation": 1, "text": "We accept. CR-5521-KX"}))
    await deputy.emit(owner_says(instruction, 2))
    await deputy.drain()
    assert _instruction_prompts(fake) == "[]"  # no conversation texts went to a model
    assert channel.sends() == []
    notes = await deputy.store.db.fetchall("SELECT payload FROM outbox WHERE connector='cli'")
    assert any("Which conversation" in n[0] for n in notes)


async def test_two_people_named_is_asked_back(
    llm_daemon: tuple[Deputy, RecordingChannel], fake: FakeOpenAI
) -> None:
    deputy, channel = llm_daemon
    await _conversations(deputy)
    fake.requests.clear()
    await deputy.emit(owner_says("Tell Carol and Dan we accept", 3))
    await deputy.drain()
    assert _instruction_prompts(fake) == "[]" and channel.sends() == []


async def test_a_draft_with_another_conversations_reference_is_not_sent(
    llm_daemon: tuple[Deputy, RecordingChannel], fake: FakeOpenAI
) -> None:
    deputy, channel = llm_daemon
    await _conversations(deputy)
    fake.push(call("send_message", {"conversation": 0, "text": "Dan, we accept; see CR-5521-KX."}))
    await deputy.emit(owner_says("Tell Dan we accept", 4))
    await deputy.drain()
    assert channel.sends() == []
    notes = await deputy.store.db.fetchall("SELECT payload FROM outbox WHERE connector='cli'")
    assert any("another conversation" in n[0] for n in notes)


async def test_the_prompt_carries_the_governing_rule_only(
    llm_daemon: tuple[Deputy, RecordingChannel], fake: FakeOpenAI
) -> None:
    deputy, _ = llm_daemon
    fake.push(text("nothing"))
    await deputy.emit(mail(sender="buyer@client.com", subject="Price quote?", text="What is your price?"))
    await deputy.drain()
    prompt = json.dumps(fake.requests)
    assert "## Rule: sales" in prompt
    for other in ("invoices", "meetings", "receipts", "newsletters", "crm-webhook"):
        assert f"## Rule: {other}" not in prompt
    assert "walk-away 400" in prompt  # its own mandate, yes
