"""A quotes task accepts only a price the supplier offered in their own words, in the
task's currency, comparable with the budget; everything unclear goes to the owner.

Through the whole daemon: the router reads the facts of each reply, the tasks desk
hands them to the quotes flow."""

from __future__ import annotations

import pytest

from bot.app import Deputy
from tests.sched.conftest import RecordingChannel
from tests.tasks.conftest import Home, fire, owner_notices, owner_says, reply_to
from tests.tasks.test_quotes import PRINTERS, sends_to

A, B, C = PRINTERS


def task_text(budget: str = "300 EUR") -> str:
    return (
        "task: quotes\n"
        f"to: {', '.join(PRINTERS)}\n"
        "subject: Quote for 500 brochures\n"
        "request: Hello, could you quote 500 brochures, A5, 4 pages, colour?\n"
        f"budget: {budget}\n"
        "deadline: 7d\nfollow_up: 3d\n"
    )


async def run(
    home: Home, replies: dict[str, str], *, budget: str = "300 EUR"
) -> tuple[Deputy, RecordingChannel]:
    """Start the task, let the named printers answer, then let the deadline pass."""
    deputy, channel = await home.start()
    await deputy.emit(owner_says(task_text(budget), n=1))
    await deputy.drain()
    mids = {p: sends_to(channel, p)[0]["message_id"] for p in PRINTERS}
    for n, (printer, text) in enumerate(replies.items()):
        await deputy.emit(reply_to(mids[printer], sender=printer, text=text, n=n))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    if task.state == "waiting":
        await fire(deputy, f"task:{task.id}:deadline")
    return deputy, channel


def accepted_texts(channel: RecordingChannel) -> list[str]:
    return [d.payload["text"] for d in channel.sends() if "accept your offer" in d.payload["text"]]


# (replies, winner, price): the cheapest clear quote within budget is accepted on its own.
ACCEPTED = [
    ({A: "Our price is 280 EUR.", B: "We can do it for 295 EUR.", C: "310 EUR"}, A, "280"),
    # The refused price is not their quote; their own is.
    ({A: "We can't do 250 EUR, sorry - our best price is 270 EUR.", B: "290 EUR"}, A, "270"),
    ({A: "Wir können leider nicht 240 EUR machen, unser bester Preis ist 275 EUR.", B: "299 EUR"}, A, "275"),
    # A price with the VAT in it fits a budget that includes VAT.
    ({A: "Unser Angebot: 270 EUR inkl. MwSt.", B: "Our quote: 290 EUR."}, A, "270"),
    ({A: "Nuestro precio es 265 EUR IVA incluido.", B: "Possiamo farlo per 285 EUR."}, A, "265"),
    ({A: "Possiamo farlo per 255 EUR.", B: "Notre prix est de 290 € TTC."}, A, "255"),
    # A net price with its tax and a total: the total is the price.
    ({A: "Price 240 EUR, plus 45,60 EUR VAT, total 285,60 EUR.", B: "Our price is 290 EUR."}, A, "285.6"),
    # The quoted history under a bottom-posted reply holds our own words and numbers.
    (
        {
            A: "> Could you do it for 200 EUR?\n\nWe can do 290 EUR.",
            B: "Our price is 295 EUR.\n\n> Hello, could you quote 500 brochures? Budget 150 EUR",
        },
        A,
        "290",
    ),
    # A range that cannot undercut the best clear quote does not hold it up.
    ({A: "Somewhere between 310 and 350 EUR, depending on the paper.", B: "280 EUR all in."}, B, "280"),
    # A reply with no price quotes nothing that could be cheaper.
    ({A: "Sorry, we cannot take this job at the moment.", B: "Our price: 285 EUR.", C: "299 EUR"}, B, "285"),
    ({A: "Gracias, le enviamos el presupuesto la semana que viene.", C: "Unser Preis: 260 EUR."}, C, "260"),
]


@pytest.mark.parametrize(("replies", "winner", "price"), ACCEPTED)
async def test_clear_quote_within_budget_is_accepted(
    home: Home, replies: dict[str, str], winner: str, price: str
) -> None:
    deputy, channel = await run(home, replies)
    (task,) = await deputy.store.tasks.all()
    assert task.state == "done", (task, await owner_notices(deputy))
    assert f"{winner} at {price} EUR" in task.result
    (accepted,) = accepted_texts(channel)
    assert f"accept your offer of {price} EUR" in accepted
    assert sends_to(channel, winner)[-1]["text"] == accepted


# (replies, what the owner's question says, options offered besides "Decline all").
ASKED = [
    # The finding: a refused price read as the quote, the task done, "we accept 250".
    (
        {A: "We can't do 250 EUR, sorry - our best price is 320 EUR"},
        "over the budget",
        [f"Accept {A} at 320 EUR"],
    ),
    (
        {A: "Wir können leider nicht 250 EUR machen, unser bester Preis ist 310 EUR."},
        "over the budget",
        [f"Accept {A} at 310 EUR"],
    ),
    (
        {A: "Nous ne pouvons pas faire 250 €, notre meilleur prix est 330 €."},
        "over the budget",
        [f"Accept {A} at 330 EUR"],
    ),
    # A refusal the readers do not see as one still leaves two prices: never a guess.
    ({A: "Leider können wir 240 EUR nicht machen, unser bester Preis ist 275 EUR."}, "several prices", []),
    # A range that could be cheaper than the best clear quote.
    (
        {A: "Somewhere between 240 and 290 EUR depending on paper.", B: "295 EUR"},
        "a range, 240-290 EUR",
        [f"Accept {B} at 295 EUR"],
    ),
    (
        {A: "Der Preis liegt zwischen 230 und 280 EUR.", B: "Unser Preis: 290 EUR."},
        "a range, 230-280 EUR",
        [f"Accept {B} at 290 EUR"],
    ),
    # Several prices: which one is the quote is for the owner to read.
    (
        {A: "240 EUR for 500 copies, 410 EUR for 1000 copies.", B: "290 EUR"},
        "several prices",
        [f"Accept {B} at 290 EUR"],
    ),
    # Plus VAT against a budget that includes VAT.
    ({A: "Our price is 240 EUR plus VAT.", B: "295 EUR"}, "plus VAT", [f"Accept {B} at 295 EUR"]),
    ({A: "Notre prix est de 260 € HT."}, "plus VAT", []),
    ({A: "Unser Angebot: 250 EUR zzgl. MwSt."}, "plus VAT", []),
    # Another currency, or none: never compared with a EUR budget.
    ({A: "We can do it for 260 USD.", B: "290 EUR"}, "in USD", [f"Accept {B} at 290 EUR"]),
    ({A: "£230 all in."}, "in GBP", []),
    ({A: "Our price is 280.", B: "Our quote: 295 EUR."}, "no currency", [f"Accept {B} at 295 EUR"]),
    # A refusal with no price of its own.
    ({A: "We can't do 250 EUR, sorry.", B: "320 EUR"}, "turns down 250", [f"Accept {B} at 320 EUR"]),
]


@pytest.mark.parametrize(("replies", "says", "options"), ASKED)
async def test_unclear_or_over_budget_goes_to_the_owner(
    home: Home, replies: dict[str, str], says: str, options: list[str]
) -> None:
    deputy, channel = await run(home, replies)
    (task,) = await deputy.store.tasks.all()
    assert task.state == "needs_owner", task
    assert accepted_texts(channel) == []
    assert len(channel.sends()) == 3  # the requests only: nothing accepted, nothing declined
    assert task.escalation_id is not None
    esc = await deputy.store.escalations.get(task.escalation_id)
    assert esc is not None and says in esc.question, esc.question
    assert list(esc.options) == [*options, "Decline all"]


async def test_the_owner_picks_the_clear_quote_beside_an_unclear_one(home: Home) -> None:
    from tests.sched.conftest import owner_answer

    deputy, channel = await run(home, {A: "Between 240 and 290 EUR.", B: "Our quote: 295 EUR."})
    (task,) = await deputy.store.tasks.all()
    assert task.escalation_id is not None
    await deputy.emit(owner_answer(task.escalation_id, "1", n=1))
    await deputy.drain()
    (task,) = await deputy.store.tasks.all()
    assert task.state == "done" and f"{B} at 295 EUR" in task.result
    assert accepted_texts(channel) == [sends_to(channel, B)[-1]["text"]]
    assert "another offer" in sends_to(channel, A)[-1]["text"]


NET = [
    # A net budget: a price plus VAT is compared as it is; one with VAT in it is unclear.
    ({A: "Our price is 240 EUR plus VAT.", B: "Unser Angebot: 230 EUR inkl. MwSt."}, None),
    ({A: "Our price is 240 EUR plus VAT.", B: "Notre prix: 245 € HT."}, (A, "240")),
]


@pytest.mark.parametrize(("replies", "won"), NET)
async def test_net_budget(home: Home, replies: dict[str, str], won: tuple[str, str] | None) -> None:
    deputy, channel = await run(home, replies, budget="250 EUR net")
    (task,) = await deputy.store.tasks.all()
    if won is None:
        assert task.state == "needs_owner" and accepted_texts(channel) == []
        esc = await deputy.store.escalations.get(task.escalation_id or 0)
        assert esc is not None and "your budget is net" in esc.question
    else:
        assert task.state == "done" and f"{won[0]} at {won[1]} EUR" in task.result


async def test_owner_is_told_of_an_unclear_reply_in_the_task_log(home: Home) -> None:
    deputy, _ = await run(home, {A: "We can do it for 260 USD."})
    rows = await deputy.store.audit.recent(limit=50, since=0)
    assert any("unclear: a price in USD" in a for e in rows for a in e.actions)
