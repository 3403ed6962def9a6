"""bot.pipeline.router: own messages dropped, unverified owner answers refused, "#N text"
answers, an owner's forward routed to Judge of the original, commands."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.actions import Escalate
from bot.effects.escalation import button_data
from bot.events import Event
from bot.pipeline.facts_reader import FactsReader
from bot.pipeline.router import Answer, Command, Drop, Instruction, Judge, Refuse, Router, Scheduled
from bot.rules import load_rulebook
from bot.rules.model import Rulebook
from bot.store import Store
from tests.unit.conftest import event

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 1, 1)
OURS = frozenset({"deputy@localhost"})


@pytest.fixture
def rulebook() -> Rulebook:
    return load_rulebook(ROOT / "rules")


@pytest.fixture
def router(store: Store) -> Router:
    return Router(escalations=store.escalations, own_addresses=OURS, facts=FactsReader(store.message_facts))


async def _escalation(store: Store) -> tuple[int, str]:
    async with store.db.transaction() as tx:
        esc_id, nonce, _ = await store.escalations.create_in(
            tx,
            key="esc-1",
            action=Escalate(question="Pay it?", options=("yes", "no")),
            event=event(1, thread="supplier", channel="email", sender="billing@acme-supplies.com"),
            thread="email:supplier",
            rule="invoices",
            deadline=0.0,
        )
    return esc_id, nonce


def owner(text: str, *, verified: bool = True, kind: str = "owner_message", **refs: str) -> Event:
    return event(
        7,
        channel="telegram",
        thread="owner",
        sender="42",
        kind=kind,
        text=text,
        sender_verified_owner=verified,
        refs=refs,
    )


async def test_scheduler_events_are_scheduled(router: Router, rulebook: Rulebook) -> None:
    route = await router.route(event(1, kind="digest_due", sender=""), rulebook, today=TODAY)
    assert route == Scheduled("digest_due")


async def test_own_messages_are_dropped(router: Router, rulebook: Rulebook) -> None:
    ours = event(1, sender="Deputy@Localhost")
    assert await router.route(ours, rulebook, today=TODAY) == Drop("our own message")
    echoed = event(2, sender="42", refs={"from_self": "1"})
    assert await router.route(echoed, rulebook, today=TODAY) == Drop("our own message")


async def test_an_unverified_answer_by_button_is_refused(
    store: Store, router: Router, rulebook: Rulebook
) -> None:
    esc_id, nonce = await _escalation(store)
    press = owner("", verified=False, kind="owner_answer", button_data=button_data(esc_id, nonce, 0))
    route = await router.route(press, rulebook, today=TODAY)
    assert route == Refuse(f"answer to escalation #{esc_id} from an unverified sender")


async def test_an_unverified_mail_reply_to_a_prompt_is_refused(
    store: Store, router: Router, rulebook: Rulebook
) -> None:
    esc_id, _ = await _escalation(store)
    async with store.db.transaction() as tx:
        await store.escalations.add_prompt_ref_in(
            tx, connector="email", ref="<prompt-1@deputy>", escalation_id=esc_id
        )
    spoofed = event(
        4, channel="email", sender="alex@example.com", text="yes", refs={"in_reply_to": "<prompt-1@deputy>"}
    )
    route = await router.route(spoofed, rulebook, today=TODAY)
    assert route == Refuse(f"answer to escalation #{esc_id} from an unverified sender")


async def test_a_forged_button_from_a_stranger_is_refused(
    store: Store, router: Router, rulebook: Rulebook
) -> None:
    esc_id, _ = await _escalation(store)
    press = owner("", verified=False, kind="owner_answer", button_data=button_data(esc_id, "forged", 0))
    route = await router.route(press, rulebook, today=TODAY)
    assert route == Refuse("button press from an unverified sender")


async def test_an_unverified_owner_message_is_refused(router: Router, rulebook: Rulebook) -> None:
    route = await router.route(owner("pause", verified=False), rulebook, today=TODAY)
    assert route == Refuse("owner message from an unverified sender")


async def test_a_verified_button_press_answers(store: Store, router: Router, rulebook: Rulebook) -> None:
    esc_id, nonce = await _escalation(store)
    press = owner("", kind="owner_answer", button_data=button_data(esc_id, nonce, 1))
    route = await router.route(press, rulebook, today=TODAY)
    assert isinstance(route, Answer)
    assert (route.escalation.id, route.option, route.text, route.via) == (esc_id, 1, "", "telegram")


async def test_hash_n_text_answers_that_escalation(store: Store, router: Router, rulebook: Rulebook) -> None:
    esc_id, _ = await _escalation(store)
    route = await router.route(owner(f"#{esc_id}: yes, pay it"), rulebook, today=TODAY)
    assert isinstance(route, Answer)
    assert (route.escalation.id, route.text, route.option) == (esc_id, "yes, pay it", None)


async def test_hash_n_from_an_unverified_sender_is_not_an_answer(
    store: Store, router: Router, rulebook: Rulebook
) -> None:
    esc_id, _ = await _escalation(store)
    stranger = event(3, sender="stranger@example.com", text=f"#{esc_id} yes")
    route = await router.route(stranger, rulebook, today=TODAY)
    assert isinstance(route, Judge) and route.event is stranger


async def test_hash_n_of_an_unknown_escalation_is_an_instruction(router: Router, rulebook: Rulebook) -> None:
    route = await router.route(owner("#999 yes"), rulebook, today=TODAY)
    assert route == Instruction("#999 yes")


async def test_a_forward_is_judged_as_the_original(router: Router, rulebook: Rulebook) -> None:
    forward = event(
        5,
        channel="email",
        thread="fwd",
        sender="alex@example.com",
        kind="owner_message",
        text="Please handle this one.",
        sender_verified_owner=True,
        refs={
            "forwarded_from": "Billing@Acme-Supplies.com",
            "forwarded_name": "Acme Billing",
            "forwarded_subject": "Invoice 17",
            "forwarded_text": "Please find invoice 17 attached.",
            "forwarded_message_id": "<inv17@acme-supplies.com>",
            "uid": "12",
        },
    )
    route = await router.route(forward, rulebook, today=TODAY)
    assert isinstance(route, Judge)
    original = route.event
    assert original.id == "email:fwd:5#forwarded"
    assert (original.sender, original.sender_name, original.subject) == (
        "billing@acme-supplies.com",
        "Acme Billing",
        "Invoice 17",
    )
    assert original.kind == "message" and not original.sender_verified_owner
    assert original.thread == "<inv17@acme-supplies.com>"
    assert original.recipients == ("alex@example.com",)
    assert original.refs["forwarded_by_owner"] == "1" and original.refs["uid"] == "12"
    assert route.owner_note == "Please handle this one."
    assert "invoices" in [r.name for r in route.rules]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pause", Command("pause")),
        ("/pending", Command("pending")),
        ("What's pending?", Command("pending")),
        ("Resume.", Command("resume")),
        ("/help", Command("help")),
        ("undo #12", Command("undo", "12")),
        ("/undo 3", Command("undo", "3")),
        ("Tell Bob I am late", Instruction("Tell Bob I am late")),
    ],
)
async def test_owner_commands(router: Router, rulebook: Rulebook, text: str, expected: object) -> None:
    assert await router.route(owner(text), rulebook, today=TODAY) == expected


async def test_a_stranger_is_judged_by_the_rules(router: Router, rulebook: Rulebook) -> None:
    mail = event(1, channel="email", sender="billing@acme-supplies.com", subject="Invoice 17")
    route = await router.route(mail, rulebook, today=TODAY)
    assert isinstance(route, Judge) and route.event is mail
    assert [r.name for r in route.rules][:1] == ["invoices"]
