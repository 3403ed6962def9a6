"""Negotiation reads the facts of each message, through the daemon with a model that
follows the plan: their price is what their own words offer (never the quoted history,
where our own price stands), another currency asks the owner, and the rounds are read
from the thread itself, not only from Deputy's stored state.

The rule is rules/sales.md: sell, target 500, walk-away 400 EUR, 4 rounds (500, 467,
434, 400)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Deputy
from bot.config import load
from tests.core.conftest import RecordingChannel, make_home
from tests.core.helpers import mail
from tests.fakes.openai_api import FakeOpenAI, Step, call, text

SCHEDULE = (500, 467, 434, 400)


def plan_follower(body: dict[str, Any]) -> Step:
    """A model that does what the negotiation plan in the prompt says."""
    if body["messages"][-1]["role"] == "tool":
        return text("done")
    user = body["messages"][1]["content"]
    plan = re.search(r"call offer with amount=([\d.]+), currency=(\w+), final=(\w+)", user)
    if plan:
        args = {"text": f"Thank you. We can do {plan[1]} {plan[2]} per day.", "amount": float(plan[1])}
        return call("offer", {**args, "currency": plan[2], "final": plan[3] == "true"})
    return call("reply", {"text": "Thank you, we will come back to you."})


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI(handler=plan_follower)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def deputy(
    tmp_path: Path, fake: FakeOpenAI, monkeypatch
) -> AsyncIterator[tuple[Deputy, RecordingChannel]]:
    monkeypatch.setenv("DEPUTY_LLM_API_KEY", "sk-test-0123456789")
    cfg = make_home(
        tmp_path,
        extra_config=f'[llm]\nenabled = true\nbase_url = "{fake.base_url}"\nmodel = "scripted"\n'
        "max_retries = 0\ntimeout_seconds = 10\n[limits]\nreplies_per_thread = 10\n",
    )
    channel = RecordingChannel()
    d = Deputy(load(cfg), extra_connectors={"local": ("local", channel)})
    await d.start()
    yield d, channel
    await d.stop()


async def say(
    d: Deputy, body: str, *, sender: str = "buyer@client.com", thread: str = "<t1@client.com>"
) -> None:
    await d.emit(mail(sender=sender, subject="Re: Price for the package", text=body, thread=thread))
    await d.drain()


def offers_sent(channel: RecordingChannel, to: str = "buyer@client.com") -> list[str]:
    return [d.payload["text"] for d in channel.sends() if to in d.payload["to"]]


# Three prospects offer less than the walk-away; the quote under their words holds our
# own earlier price, which must never come back as theirs ("we agree on 900 EUR").
QUOTED = [
    "Could you do 380 EUR?\n\n> Our price for the package is 900 EUR per day.",
    "Wir können 350 EUR zahlen.\n\n> Unser Preis: 900 EUR pro Tag.\n> Viele Grüße",
    "Nous proposons 360 € par jour.\n\nLe lundi 3 mars, Deputy a écrit :\n"
    "> Notre prix est de 900 € par jour.",
    "How about 300 EUR?\n\nOn Mon, 3 Mar 2025 at 10:00, Deputy <deputy@localhost> wrote:\n"
    "> We can offer 900 EUR.",
]


@pytest.mark.parametrize("body", QUOTED)
async def test_quoted_history_never_counts_as_their_price(deputy, body: str) -> None:
    d, channel = deputy
    await say(d, body)
    (sent,) = offers_sent(channel)
    assert "900" not in sent and "agree" not in sent
    assert "500 EUR" in sent  # below the walk-away, not final: counter at the target
    row = await d.store.db.fetchone("SELECT state FROM negotiations")
    assert row is not None and "900" not in row[0]


# Their words, in several languages: the move the plan makes on the price they offer.
MOVES = [
    ("Wir bieten 420 Euro pro Tag.", "counter", 500),
    ("Nous proposons 520 € par jour.", "accept", 520),
    ("Podemos pagar 510 EUR al día.", "accept", 510),
    ("Possiamo offrire 410 EUR al giorno.", "counter", 500),
    ("Between 420 and 450 EUR would work for us.", "counter", 500),  # a range: its worse end
    ("Between 520 and 560 EUR would work for us.", "accept", 520),
    # The refused price is not their offer.
    ("We can't pay 500 EUR; 420 EUR is our limit.", "counter", 500),
    ("We can't do 550 EUR, sorry - our best is 430 EUR.", "counter", 500),
]


@pytest.mark.parametrize(("body", "move", "amount"), MOVES)
async def test_their_offer_is_read_from_the_facts(deputy, body: str, move: str, amount: int) -> None:
    d, channel = deputy
    await say(d, body)
    (sent,) = offers_sent(channel)
    assert f"{amount} EUR" in sent
    row = await d.store.db.fetchone("SELECT state FROM negotiations")
    assert row is not None
    assert ('"closed": true' in row[0]) == (move == "accept")


OTHER_CURRENCY = [
    "We can offer 450 USD per day.",
    "Unser Angebot: 480 CHF pro Tag.",
    "We could pay £420 a day.",
]


@pytest.mark.parametrize("body", OTHER_CURRENCY)
async def test_another_currency_asks_the_owner(deputy, fake: FakeOpenAI, body: str) -> None:
    d, channel = deputy
    await say(d, body)
    assert offers_sent(channel) == []
    (esc,) = await d.store.escalations.open()
    assert "the mandate is in EUR" in esc.question
    assert not any(o.startswith("Accept their") for o in esc.options)  # no price to accept in EUR
    assert fake.requests == []  # a question for the owner costs no model call


async def test_rounds_are_read_from_the_thread(deputy) -> None:
    """Four offers went out in the thread; the stored state was lost (or never kept, as
    when the owner approved the offers): the fifth message gets no fifth concession."""
    d, channel = deputy
    for body in ("300 EUR?", "320 EUR?", "340 EUR?", "360 EUR?"):
        await say(d, body)
    sent = offers_sent(channel)
    assert [int(re.findall(r"(\d+) EUR", t)[0]) for t in sent] == list(SCHEDULE)
    async with d.store.db.transaction() as tx:
        await tx.execute("DELETE FROM negotiations")
    await say(d, "380 EUR, please.")
    assert len(offers_sent(channel)) == 4  # no new offer, and never the target again
    (esc,) = await d.store.escalations.open()
    assert "rounds are used up" in esc.question and "4/4 rounds" in esc.question


async def test_below_walk_away_and_refusing_asks_the_owner(deputy) -> None:
    d, channel = deputy
    await say(d, "300 EUR is our final offer.\n\n> We can offer 500 EUR per day.")
    assert offers_sent(channel) == []
    (esc,) = await d.store.escalations.open()
    assert "300 EUR" in esc.question and esc.options[0] == "Accept their 300 EUR"


async def test_the_prompt_shows_the_facts(deputy, fake: FakeOpenAI) -> None:
    d, _ = deputy
    await say(d, "We can't do 550 EUR, sorry - our best is 430 EUR plus VAT.")
    user = fake.requests[0]["messages"][1]["content"]
    section = user[user.index("Facts of this message") :]
    facts = section[: section.index("</untrusted_facts>")]
    assert "offers 430 EUR" in facts and "refuses 550" in facts
    assert "their offer: 430 EUR, plus VAT" in facts
    assert user.index("Facts of this message") < user.index("The message to handle")
