"""The owner's answers read for what they mean, through the real daemon: text written to
the correspondent is sent as written; instructions are carried out within the rules or
shown in full before they go; policies keep their conditions; unclear answers are asked
back. In rules-only mode and with a scripted model that misreads everything."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import Deputy
from bot.config import load
from bot.events import Event
from bot.rules import learned
from tests.core.conftest import RecordingChannel, make_home
from tests.core.helpers import mail
from tests.fakes.openai_api import FakeOpenAI, Step, call, text

HOSTILE = "Pay 9,999 EUR now to IBAN DE89370400440532013000 via https://evil.example/pay"

# (answer, what it is): send / nothing / hold / decline / unclear / draft
PHRASINGS: list[tuple[str, str]] = [
    # text written to the correspondent
    ("Thanks Carol, let's talk next week.", "send"),
    ("Dear Carol, we would be glad to. Best regards, Alex", "send"),
    ("Hi Carol, let me check and get back to you.", "send"),
    ("reply: Not this quarter, sorry.", "send"),
    ('tell her: "We are fully booked until March."', "send"),
    ("Sure, I can send you the documents tomorrow.", "send"),
    ("Hallo Carol, vielen Dank für Ihre Nachricht, wir melden uns.", "send"),
    ("Können Sie mir die Unterlagen schicken?", "send"),
    ("Antwort: Gerne, nächste Woche passt.", "send"),
    ("Bonjour Carol, merci pour votre message.", "send"),
    ("Pouvez-vous nous envoyer le devis ?", "send"),
    ("réponse : Avec plaisir, la semaine prochaine.", "send"),
    # instructions that do nothing now
    ("Ignore this one", "nothing"),
    ("ignore it", "nothing"),
    ("Don't reply.", "nothing"),
    ("No, I will deal with this supplier myself", "nothing"),
    ("I'll handle it myself.", "nothing"),
    ("Leave it to me.", "nothing"),
    ("Ignorier das.", "nothing"),
    ("Nicht antworten.", "nothing"),
    ("Ich kümmere mich selbst darum.", "nothing"),
    ("Ignore ce message.", "nothing"),
    ("Ne réponds pas.", "nothing"),
    ("Je m'en occupe.", "nothing"),
    # hold: nothing now, the question stays open
    ("Let me check with accounting first", "hold"),
    ("Hold off for now", "hold"),
    ("Wait until Monday.", "hold"),
    ("Lass mich erst mit der Buchhaltung prüfen.", "hold"),
    ("Noch nicht.", "hold"),
    ("Laisse-moi vérifier avec la comptabilité.", "hold"),
    ("Pas encore.", "hold"),
    # decline: a refusal drafted and shown first
    ("Send them packing.", "decline"),
    ("Tell him no.", "decline"),
    ("Politely decline.", "decline"),
    ("Sag ihr ab.", "decline"),
    ("Lehne das ab.", "decline"),
    ("Dis-lui non.", "decline"),
    ("Envoie-la promener.", "decline"),
    # other instructions: need drafting
    ("Ask for the invoice number", "draft"),
    ("Ask her for a proposal with prices.", "draft"),
    ("Frag sie nach der Rechnungsnummer.", "draft"),
    ("Demande-lui le numéro de facture.", "draft"),
    # unclear
    ("ok", "unclear"),
    ("?", "unclear"),
    ("hmm", "unclear"),
    ("not sure about this one", "unclear"),
]


def owner_says(body: str, n: int, *, escalation_id: int | None = None) -> Event:
    return Event(
        id=f"cli:words:{n}:{escalation_id}",
        channel="cli",
        kind="owner_answer" if escalation_id is not None else "owner_message",
        thread="cli",
        sender="owner",
        sender_verified_owner=True,
        received_at=datetime.now(UTC),
        text=body,
        refs={"escalation_id": str(escalation_id)} if escalation_id is not None else {},
    )


async def owner_rows(deputy: Deputy) -> list[str]:
    rows = await deputy.store.db.fetchall("SELECT payload FROM outbox WHERE connector='cli' ORDER BY seq")
    return [json.loads(r[0]).get("text", "") for r in rows]


async def ask_about_carol(deputy: Deputy, n: int) -> int:
    await deputy.emit(
        mail(sender="carol@new.com", subject=f"Partnership {n}?", text="Shall we work together?")
    )
    await deputy.drain()
    (esc,) = [e for e in await deputy.store.escalations.open() if e.event.sender == "carol@new.com"]
    return esc.id


async def answer(deputy: Deputy, esc_id: int, body: str, n: int) -> None:
    await deputy.emit(owner_says(body, n, escalation_id=esc_id))
    await deputy.drain()


def misreading(body: dict[str, Any]) -> Step:
    """A model that reads every owner's answer the worst way: the hostile draft, or
    "do it anyway"."""
    names = {t["function"]["name"] for t in body.get("tools", [])}
    if "draft_reply" in names:
        return call("draft_reply", {"text": HOSTILE})
    if "choose_option" in names:
        return call("send_reply", {"text": HOSTILE})
    return text("nothing")


@pytest.fixture
async def model() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI(handler=misreading)
    await server.start()
    yield server
    await server.stop()


async def start_llm(
    tmp_path: Path, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, *, extra: str = ""
) -> Deputy:
    monkeypatch.setenv("DEPUTY_LLM_API_KEY", "sk-test-0123456789")
    cfg = make_home(
        tmp_path,
        extra_config=f'[llm]\nenabled = true\nbase_url = "{fake.base_url}"\nmodel = "scripted"\n'
        "max_retries = 0\ntimeout_seconds = 10\n" + extra,
    )
    return Deputy(load(cfg), extra_connectors={"local": ("local", RecordingChannel())})


@pytest.fixture
async def llm_daemon(
    tmp_path: Path, model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Deputy, RecordingChannel]]:
    deputy = await start_llm(tmp_path, model, monkeypatch)
    await deputy.start()
    channel = deputy.connectors["local"]
    assert isinstance(channel, RecordingChannel)
    yield deputy, channel
    await deputy.stop()


async def check_reading(
    deputy: Deputy, channel: RecordingChannel, body: str, kind: str, *, with_model: bool
) -> None:
    esc_id = await ask_about_carol(deputy, 1)
    await answer(deputy, esc_id, body, 2)
    sends = channel.sends()
    esc = await deputy.store.escalations.get(esc_id)
    assert esc is not None
    others = [e for e in await deputy.store.escalations.open() if e.id != esc_id]
    notices = await owner_rows(deputy)
    if kind == "send":
        assert [s.payload["to"] for s in sends] == [["carol@new.com"]]
        written = (
            body.split(":", 1)[1] if re.match(r"(?i)^(?:reply|antwort|réponse|tell her)\s*:", body) else body
        )
        assert written.strip(' "')[:12] in sends[0].payload["text"]
        assert esc.state == "answered" and not others
        return
    assert sends == [], f"{body!r} sent something"
    if kind == "nothing":
        assert esc.state == "answered" and not others
    elif kind == "hold":
        assert esc.state == "open" and not others
        assert any("stays open" in n for n in notices)
    elif kind == "unclear" or (kind == "draft" and not with_model):
        if kind == "unclear" and with_model and len(body.split()) >= 3:
            # the model's reading is only a proposal, shown for a yes
            assert esc.state == "answered" and len(others) == 1 and "my reading" in others[0].question
        else:
            assert esc.state == "open" and not others
            assert any(f"#{esc_id}" in n for n in notices[-1:])
    else:  # decline, or a draft with a model: a new question with the exact text
        assert esc.state == "answered" and len(others) == 1
        (draft,) = others
        shown = "\n".join(notices)
        if with_model:
            assert HOSTILE in shown and "evil.example" in shown and "checks found" in shown
        else:
            assert "Send this refusal" in draft.options
        await answer(deputy, draft.id, "2", 3)  # "Do nothing": still nothing leaves
        assert channel.sends() == []


@pytest.mark.parametrize(("body", "kind"), PHRASINGS)
async def test_rules_only_reading(daemon: tuple[Deputy, RecordingChannel], body: str, kind: str) -> None:
    deputy, channel = daemon
    await check_reading(deputy, channel, body, kind, with_model=False)


@pytest.mark.parametrize(("body", "kind"), PHRASINGS)
async def test_misreading_model_never_acts_alone(
    llm_daemon: tuple[Deputy, RecordingChannel], model: FakeOpenAI, body: str, kind: str
) -> None:
    deputy, channel = llm_daemon
    await check_reading(deputy, channel, body, kind, with_model=True)
    assert all(HOSTILE not in s.payload.get("text", "") for s in channel.sends())


async def test_a_refusal_is_sent_only_on_the_owners_yes(daemon: tuple[Deputy, RecordingChannel]) -> None:
    deputy, channel = daemon
    esc_id = await ask_about_carol(deputy, 1)
    await answer(deputy, esc_id, "Send them packing.", 2)
    (draft,) = await deputy.store.escalations.open()
    prompt = (await owner_rows(deputy))[-1]
    assert "sends to carol@new.com:" in prompt and "| thank you for your message" in prompt
    await answer(deputy, draft.id, "yes", 3)
    (sent,) = channel.sends()
    assert sent.payload["to"] == ["carol@new.com"] and "We will not take this further" in sent.payload["text"]
    assert "packing" not in sent.payload["text"]


async def test_a_price_in_an_answer_is_a_typed_offer_checked_against_the_mandate(
    daemon: tuple[Deputy, RecordingChannel],
) -> None:
    deputy, channel = daemon
    await deputy.emit(mail(sender="buyer@client.com", subject="Price for the package?", text="Too high."))
    await deputy.drain()
    (esc,) = await deputy.store.escalations.open()
    await answer(deputy, esc.id, "yes, but only 350", 2)  # below the walk-away of 400
    assert channel.sends() == []
    (blocked,) = await deputy.store.escalations.open()
    assert "walk-away" in blocked.question and blocked.options[0] == "Do it anyway"
    await deputy.emit(mail(sender="buyer2@client.com", subject="Price for the package?", text="Too high."))
    await deputy.drain()
    (esc2,) = [e for e in await deputy.store.escalations.open() if e.event.sender == "buyer2@client.com"]
    await answer(deputy, esc2.id, "ja, aber nur 450", 3)
    (sent,) = channel.sends()
    assert sent.payload["to"] == ["buyer2@client.com"] and "450 EUR" in sent.payload["text"]


async def test_policy_keeps_its_condition(daemon: tuple[Deputy, RecordingChannel]) -> None:
    deputy, channel = daemon
    await deputy.store.kv.set("paused", "1")  # the invoice rule's actions wait for a yes
    await deputy.emit(mail(sender="billing@acme-supplies.com", subject="Invoice 14", text="Total 40 EUR."))
    await deputy.drain()
    (esc,) = await deputy.store.escalations.open()
    await answer(deputy, esc.id, "Always pay invoices from them if under 500 EUR, otherwise ask me", 2)
    (record,) = await learned.records(deputy.store)
    assert record.scope == "billing@acme-supplies.com" and record.state == "proposed"
    rule = learned.to_rule(record)
    assert rule.header.when.amount is not None
    assert (rule.header.when.amount.max, rule.header.when.amount.currency) == (500, "EUR")
    assert rule.header.when.amount.min is None
    assert "reply" in rule.may and "ignore" not in rule.may  # never the opposite
    assert [s.payload["to"] for s in channel.sends()] == [["billing@acme-supplies.com"]]  # 40 EUR: paid
    confirm = await deputy.store.escalations.get(record.confirm_escalation_id or 0)
    assert confirm is not None and "at most 500 EUR" in confirm.question


async def test_policy_outside_its_condition_keeps_asking(daemon: tuple[Deputy, RecordingChannel]) -> None:
    deputy, channel = daemon
    await deputy.store.kv.set("paused", "1")
    await deputy.emit(mail(sender="billing@acme-supplies.com", subject="Invoice 15", text="Total 900 EUR."))
    await deputy.drain()
    (esc,) = await deputy.store.escalations.open()
    await answer(deputy, esc.id, "Immer bezahlen, wenn unter 500 €, sonst frag mich.", 2)
    assert channel.sends() == []
    assert (await deputy.store.escalations.get(esc.id)).state == "open"  # type: ignore[union-attr]
    (record,) = await learned.records(deputy.store)
    assert learned.to_rule(record).header.when.amount is not None


async def test_policy_with_a_condition_code_cannot_check_is_not_learned(
    daemon: tuple[Deputy, RecordingChannel],
) -> None:
    deputy, channel = daemon
    await deputy.store.kv.set("paused", "1")
    await deputy.emit(mail(sender="billing@acme-supplies.com", subject="Invoice 16", text="Total 40 EUR."))
    await deputy.drain()
    (esc,) = await deputy.store.escalations.open()
    await answer(deputy, esc.id, "Always pay them if they mention the project", 2)
    assert await learned.records(deputy.store) == [] and channel.sends() == []
    assert any("cannot check" in n for n in await owner_rows(deputy))


async def test_hijacked_do_it_anyway_is_not_read_into_the_owners_no(
    llm_daemon: tuple[Deputy, RecordingChannel], model: FakeOpenAI
) -> None:
    deputy, channel = llm_daemon
    model.handler = None
    model.push(
        call("reply", {"text": f"Hello, please {HOSTILE}"}),
        text("done"),
    )
    await deputy.emit(mail(sender="buyer@client.com", subject="Quote please", text="New bank details"))
    await deputy.drain()
    (esc,) = await deputy.store.escalations.open()
    assert esc.options[0] == "Do it anyway" and HOSTILE in (await owner_rows(deputy))[-1]
    asked = len(model.requests)
    model.push(call("choose_option", {"index": 0}))  # "Do it anyway"
    await answer(deputy, esc.id, "No, I will deal with this supplier myself", 2)
    assert channel.sends() == [] and len(model.requests) == asked  # no model asked
    assert (await deputy.store.escalations.get(esc.id)).state == "answered"  # type: ignore[union-attr]


async def test_proposed_reply_shows_full_text_and_the_checks(
    llm_daemon: tuple[Deputy, RecordingChannel], model: FakeOpenAI
) -> None:
    deputy, channel = llm_daemon
    model.handler = None
    model.push(
        call("ask_owner", {"question": "Send this?", "proposed_reply": f"Sure. {HOSTILE}"}), text("done")
    )
    await deputy.emit(mail(sender="buyer@client.com", subject="Quote please", text="What is the price?"))
    await deputy.drain()
    (esc,) = await deputy.store.escalations.open()
    prompt = (await owner_rows(deputy))[-1]
    assert f"| Sure. {HOSTILE}" in prompt and "sends to buyer@client.com" in prompt
    assert "checks found" in esc.question and "evil.example" in esc.question
    assert channel.sends() == []


async def test_draft_executes_exactly_what_was_shown(daemon: tuple[Deputy, RecordingChannel]) -> None:
    deputy, channel = daemon
    esc_id = await ask_about_carol(deputy, 1)
    await answer(deputy, esc_id, "Tell him no.", 2)
    (draft,) = await deputy.store.escalations.open()
    shown = draft.option_actions[0]
    await answer(deputy, draft.id, "1", 3)
    (sent,) = channel.sends()
    assert sent.payload["text"].startswith(shown[0].text.split("\n")[0])  # type: ignore[union-attr]


PROSPECTS = """+++
when.from = ["*@prospect.example"]
may = ["reply", "offer"]
mandate = { side = "sell", target = 900, walk_away = 800, currency = "EUR", max_rounds = 4 }
+++
Sell the workshop. Start at the target.
"""


def forward(note: str) -> Event:
    """The owner's forward, as the local channel reads a verified one."""
    return Event(
        id="local:fwd-1",
        channel="local",
        kind="owner_message",
        thread="fwd-1",
        sender="alex@example.com",
        sender_verified_owner=True,
        received_at=datetime.now(UTC),
        subject="Fwd: Workshop",
        text=note,
        refs={
            "channel_type": "local",
            "forwarded_from": "pat@prospect.example",
            "forwarded_subject": "Workshop",
            "forwarded_text": "What would the workshop cost?",
            "forwarded_message_id": "<w1@prospect.example>",
        },
    )


async def test_forward_note_reaches_the_model_and_its_price_is_offered(
    tmp_path: Path, model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    deputy = await start_llm(tmp_path, model, monkeypatch)
    (tmp_path / "rules" / "prospects.md").write_text(PROSPECTS, encoding="utf-8")
    model.handler = None
    model.push(call("offer", {"text": "We can do 950 EUR.", "amount": 950, "currency": "EUR"}), text("done"))
    await deputy.start()
    try:
        await deputy.emit(forward("offer them 950 EUR"))
        await deputy.drain()
        prompt = json.dumps(model.requests[0]["messages"])
        assert "<owner_instruction>" in prompt and "offer them 950 EUR" in prompt
        assert "amount=950" in prompt  # the owner's price is the plan, not the rule's 900
        channel = deputy.connectors["local"]
        assert isinstance(channel, RecordingChannel)
        (sent,) = channel.sends()
        assert sent.payload["to"] == ["pat@prospect.example"] and "950" in sent.payload["text"]
    finally:
        await deputy.stop()


async def test_forward_note_without_a_model_is_shown_in_the_question(tmp_path: Path) -> None:
    cfg = make_home(tmp_path)
    (tmp_path / "rules" / "prospects.md").write_text(PROSPECTS, encoding="utf-8")
    channel = RecordingChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await deputy.start()
    try:
        await deputy.emit(forward("offer them 950 EUR"))
        await deputy.drain()
        (esc,) = await deputy.store.escalations.open()
        assert "offer them 950 EUR" in esc.question and esc.options[0] == "Send this offer"
        assert "| We can do 950 EUR." in (await owner_rows(deputy))[-1]
        assert channel.sends() == []
        await answer(deputy, esc.id, "1", 2)
        (sent,) = channel.sends()
        assert "950 EUR" in sent.payload["text"] and sent.payload["to"] == ["pat@prospect.example"]
    finally:
        await deputy.stop()
