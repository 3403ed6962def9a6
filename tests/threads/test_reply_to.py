"""Reply-To is decided before the gate and checked like any recipient.

Red-team finding: a stranger's mail with ``Reply-To:`` a third party got the owner-signed
template reply sent to that third party, in rules-only mode, and the send budget counted
the stranger (the sender), not the victim who received the mail.
"""

from __future__ import annotations

import pytest

from bot.app import Deputy
from tests.core.conftest import RecordingChannel
from tests.core.helpers import mail

VICTIM = "victim@third.example"


def _to_victim(channel: RecordingChannel) -> list[object]:
    return [
        s
        for s in channel.sends()
        if any(VICTIM in str(a).lower() for a in [*s.payload.get("to", []), *s.payload.get("cc", [])])
    ]


REPLY_TO_TRICKS = [
    VICTIM,
    f"Victim <{VICTIM}>",
    VICTIM.upper(),
    f'"stranger@evil.example" <{VICTIM}>',
    f"{VICTIM}, stranger@evil.example",
    f"  {VICTIM}  ",
    f"=?utf-8?q?Stranger?= <{VICTIM}>",
    f"<{VICTIM}>",
    f"Support (the real one) <{VICTIM}>",
    f"{VICTIM} (comment)",
]


@pytest.mark.parametrize("reply_to", REPLY_TO_TRICKS)
async def test_template_reply_never_goes_to_a_foreign_reply_to(
    daemon: tuple[Deputy, RecordingChannel], reply_to: str
) -> None:
    deputy, channel = daemon
    await deputy.emit(
        mail(
            sender="stranger@evil.example",
            subject="Can we have a meeting?",
            text="Let us schedule a meeting next week.",
            headers={"reply-to": reply_to},
        )
    )
    await deputy.drain()
    assert _to_victim(channel) == []
    pending = await deputy.store.escalations.open()
    assert len(pending) == 1
    assert VICTIM in pending[0].question.lower()  # the question names the address


async def test_reply_to_the_senders_own_address_is_fine(daemon: tuple[Deputy, RecordingChannel]) -> None:
    deputy, channel = daemon
    await deputy.emit(
        mail(
            sender="bob@client.com",
            subject="meeting?",
            text="Could we have a meeting?",
            headers={"reply-to": "Bob <BOB@client.com>"},
        )
    )
    await deputy.drain()
    assert [s.payload["to"] for s in channel.sends()] == [["bob@client.com"]]


async def test_reply_to_a_participant_of_the_thread_is_fine(daemon: tuple[Deputy, RecordingChannel]) -> None:
    deputy, channel = daemon
    await deputy.emit(
        mail(
            sender="bob@client.com",
            subject="meeting?",
            text="Could we have a meeting?",
            to=("deputy@localhost", "assistant@client.com"),
            headers={"reply-to": "assistant@client.com"},
        )
    )
    await deputy.drain()
    assert [s.payload["to"] for s in channel.sends()] == [["assistant@client.com"]]


async def test_the_send_budget_counts_the_real_recipient(daemon: tuple[Deputy, RecordingChannel]) -> None:
    """Sixteen strangers, each naming the victim in Cc and Reply-To: the victim is a
    participant of each thread, but the budget of 10 a day counts what the victim got."""
    deputy, channel = daemon
    for n in range(16):
        await deputy.emit(
            mail(
                sender=f"stranger{n}@evil{n}.example",
                subject="meeting please",
                text="We need a meeting.",
                to=("deputy@localhost", VICTIM),
                headers={"reply-to": VICTIM},
            )
        )
        await deputy.drain()
    assert len(_to_victim(channel)) <= 10
    budget = [e for e in await deputy.store.escalations.open() if "send budget" in e.question]
    assert budget and VICTIM in budget[0].question


async def test_the_send_budget_holds_under_concurrency(daemon: tuple[Deputy, RecordingChannel]) -> None:
    """All at once, on four workers: the cap is checked where the rows are written."""
    deputy, channel = daemon
    for n in range(16):
        await deputy.emit(
            mail(
                sender=f"s{n}@evil{n}.example",
                subject="meeting please",
                text="We need a meeting.",
                to=("deputy@localhost", VICTIM),
                headers={"reply-to": VICTIM},
            )
        )
    await deputy.drain()
    assert len(_to_victim(channel)) <= 10
