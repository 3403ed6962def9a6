"""Template replies through the real daemon, from real RFC 5322 mail: greetings by the
display name, a template sent once per thread, and the follow-up that goes with it."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest

from bot.events import Event
from bot.owner import OwnerProfile
from connectors.email.parse import parse_message
from tests.core.test_follow_up import fire_timers

_n = itertools.count()
OWNER = OwnerProfile(name="Alex Example", emails=("alex@example.com",))


def received(
    *,
    sender: str,
    subject: str,
    body: str,
    to: str = "Deputy <deputy@localhost>",
    cc: str = "",
    in_reply_to: str = "",
    references: str = "",
    extra: str = "",
) -> Event:
    """Mail as it comes off the wire, parsed by the email connector's own parser."""
    mid = f"<t{next(_n)}.{abs(hash(subject)) % 10**6}@mail.client.test>"
    lines = [
        f"From: {sender}",
        f"To: {to}",
        *([f"Cc: {cc}"] if cc else []),
        f"Subject: {subject}",
        f"Message-ID: {mid}",
        "Date: Tue, 03 Dec 2024 09:15:00 +0100",
        *([f"In-Reply-To: {in_reply_to}"] if in_reply_to else []),
        *([f"References: {references}"] if references else []),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        *([extra] if extra else []),
    ]
    data = ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode("utf-8")
    result = parse_message(
        data,
        connector="local",
        own_addresses=("deputy@localhost",),
        owner=OWNER,
        received_at=datetime.now(UTC),
    )
    assert result.event is not None, result.quarantine_reason
    return result.event


async def handle(deputy, event: Event) -> None:  # type: ignore[no-untyped-def]
    await deputy.emit(event)
    await deputy.drain()


async def follow_up_timers(deputy) -> int:  # type: ignore[no-untyped-def]
    rows = await deputy.store.db.fetchall("SELECT 1 FROM timers WHERE kind='follow_up' AND state='pending'")
    return len(rows)


async def audit_of(deputy, event: Event) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    row = (
        await deputy.store.db.fetchall(
            "SELECT actions, blocked, reasons FROM audit WHERE event_id=?", (event.id,)
        )
    )[-1]
    return {"actions": json.loads(row[0]), "blocked": json.loads(row[1]), "reasons": json.loads(row[2])}


def answer_to(first: Event, ours: str, **kw: object) -> dict[str, object]:
    """Headers of a reply to Deputy's message ``ours`` in ``first``'s thread."""
    return {"in_reply_to": ours, "references": f"{first.refs['message_id']} {ours}", **kw}


# ----- greetings: the name comes from the display name ---------------------------------
@pytest.mark.parametrize(
    ("sender", "greeting"),
    [
        ("Dr. Anna Schmidt <a.schmidt@kanzlei-schmidt.de>", "Hi Anna,"),
        ('"Schmidt, Anna" <a.schmidt@kanzlei-schmidt.de>', "Hi Anna,"),
        ("=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@beispiel.de>", "Hi Jürgen,"),
        ('"MÜLLER, JÜRGEN" <jm@beispiel.de>', "Hi Jürgen,"),
        ("Mme Claire Dubois <claire.dubois@exemple.fr>", "Hi Claire,"),
        ("José García (ACME Iberia) <jgarcia@acme.es>", "Hi José,"),
        ("ap@acme-supplies.com", "Hi,"),
        ("Billing Department <billing@vendor.test>", "Hi,"),
        ("ACME Accounts Payable <ap@acme.test>", "Hi,"),
        ("info <info@agentur.test>", "Hi,"),
        ("Herr Müller <mueller@beispiel.de>", "Hi,"),
    ],
)
async def test_greeting_uses_the_display_name_never_the_address(daemon, sender: str, greeting: str) -> None:
    deputy, channel = daemon
    await handle(
        deputy, received(sender=sender, subject="Meeting next week?", body="Could we set up a call?")
    )
    text = channel.sends()[0].payload["text"]
    assert text.splitlines()[0] == greeting
    assert not any(bad in text for bad in ("Hi ap", "Billing,", "Hi info", " ,", "$"))


@pytest.mark.parametrize(
    ("sender", "greeting"),
    [
        ("ACME Accounts Payable <ap@acme-supplies.com>", "Hello ACME team,"),
        ("ap@acme-supplies.com", "Hello,"),
        ("Rechnungswesen <invoices@acme-supplies.com>", "Hello,"),
        ("Anna Weber <anna.weber@acme-supplies.com>", "Hello Anna,"),
    ],
)
async def test_invoice_greeting_falls_back_to_the_team(daemon, sender: str, greeting: str) -> None:
    deputy, channel = daemon
    await handle(
        deputy,
        received(
            sender=sender, subject="Invoice 2024-117", body="Please find our invoice. Total due: 95.00 EUR"
        ),
    )
    assert channel.sends()[0].payload["text"].splitlines()[0] == greeting


async def test_nudge_to_a_functional_mailbox_greets_without_a_name(daemon) -> None:
    deputy, channel = daemon
    await handle(
        deputy, received(sender="support@saas.test", subject="Catch up on the renewal", body="Call?")
    )
    await fire_timers(deputy)
    nudge = channel.sends()[-1].payload["text"]
    assert nudge.startswith("Hello,\n") and "support" not in nudge.splitlines()[0]


# ----- the template goes out once per thread ------------------------------------------
async def test_client_accepting_a_slot_gets_no_second_template_nor_a_nudge(daemon) -> None:
    deputy, channel = daemon
    first = received(
        sender="Dr. Anna Schmidt <a.schmidt@kanzlei-schmidt.de>",
        subject="Meeting next week?",
        body="Hello Alex,\nwould you have time for a meeting next week?\nAnna",
    )
    await handle(deputy, first)
    ours = channel.sends()[0].payload["message_id"]
    accept = received(
        sender="Dr. Anna Schmidt <a.schmidt@kanzlei-schmidt.de>",
        subject="Re: Meeting next week?",
        body="Tuesday 10:00 works for me, see you then. Anna\n\n> Hi Anna,\n> thanks for reaching out.",
        **answer_to(first, ours),  # type: ignore[arg-type]
    )
    await handle(deputy, accept)
    assert len(channel.sends()) == 1  # no second acknowledgement
    pending = await deputy.store.escalations.open()
    assert len(pending) == 1 and "already sent the 'meetings' reply" in pending[0].question
    assert "Tuesday 10:00" in pending[0].question
    await fire_timers(deputy)
    assert len(channel.sends()) == 1  # and no "just following up"


async def test_german_thread_same_rule_twice_asks_the_owner(daemon) -> None:
    deputy, channel = daemon
    first = received(
        sender="Jürgen Müller <jm@beispiel.de>",
        subject="Termin: kurzer Call?",
        body="Hallo Alex,\nhätten Sie diese Woche Zeit für einen kurzen Call?\nGrüße, Jürgen",
    )
    await handle(deputy, first)
    ours = channel.sends()[0].payload["message_id"]
    again = received(
        sender="Jürgen Müller <jm@beispiel.de>",
        subject="Re: Termin: kurzer Call?",
        body="Danke! Donnerstag 14 Uhr wäre ideal für den Call.",
        **answer_to(first, ours),  # type: ignore[arg-type]
    )
    await handle(deputy, again)
    assert len(channel.sends()) == 1
    audit = await audit_of(deputy, again)
    assert any("already sent" in r for r in audit["reasons"])


async def test_a_new_thread_from_the_same_person_gets_the_template(daemon) -> None:
    deputy, channel = daemon
    await handle(deputy, received(sender="Anna <anna@x.test>", subject="Meeting in May", body="A call?"))
    await handle(
        deputy, received(sender="Anna <anna@x.test>", subject="Meeting in June", body="Another call?")
    )
    assert len(channel.sends()) == 2  # once per thread, not once per person


async def test_invoice_reminder_in_the_same_thread_is_filed_and_asked_not_confirmed_twice(daemon) -> None:
    deputy, channel = daemon
    first = received(
        sender="Anna Weber <anna.weber@acme-supplies.com>",
        subject="Invoice 88",
        body="Invoice 88: 140.00 EUR.",
    )
    await handle(deputy, first)
    ours = channel.sends()[0].payload["message_id"]
    reminder = received(
        sender="Anna Weber <anna.weber@acme-supplies.com>",
        subject="Re: Invoice 88",
        body="Friendly reminder: invoice 88 is due on Friday.",
        **answer_to(first, ours),  # type: ignore[arg-type]
    )
    await handle(deputy, reminder)
    assert len(channel.sends()) == 1
    assert [d.op for d in channel.delivered].count("file") == 2  # still filed per the rule
    assert len(await deputy.store.escalations.open()) == 1


# ----- follow-ups: only after Deputy wrote, to mail addressed to it, never to robots ----
@pytest.mark.parametrize(
    ("subject", "body", "extra"),
    [
        ("Automatic reply: Meeting next week?", "I am out of the office until 6 January.", ""),
        ("Out of Office: Meeting next week?", "I'm currently away with limited access to email.", ""),
        ("Abwesenheitsnotiz: Termin Call", "Ich bin bis zum 6. Januar nicht im Büro.", ""),
        ("Réponse automatique : réunion (meeting)", "Je suis absente jusqu'au 6 janvier.", ""),
        ("Respuesta automática: meeting", "Estoy fuera de la oficina hasta el lunes.", ""),
        ("Re: Meeting next week?", "Dies ist eine automatische Antwort. Ich bin ab Montag zurück.", ""),
        ("Meeting next week?", "Thank you for your message.", "Auto-Submitted: auto-replied"),
        ("Meeting next week?", "Thanks, I'll be back Monday.", "X-Autoreply: yes"),
    ],
)
async def test_out_of_office_gets_no_reply_and_no_follow_up(
    daemon, subject: str, body: str, extra: str
) -> None:
    deputy, channel = daemon
    ooo = received(sender="Pat Lee <pat@client.test>", subject=subject, body=body, extra=extra)
    await handle(deputy, ooo)
    assert channel.sends() == []
    assert await follow_up_timers(deputy) == 0


async def test_out_of_office_in_our_thread_is_no_answer_and_the_nudge_still_goes(daemon) -> None:
    deputy, channel = daemon
    first = received(sender="Pat Lee <pat@client.test>", subject="Meeting next week?", body="Call next week?")
    await handle(deputy, first)
    ours = channel.sends()[0].payload["message_id"]
    ooo = received(
        sender="Pat Lee <pat@client.test>",
        subject="Automatic reply: Re: Meeting next week?",
        body="I am out of the office until Monday.",
        **answer_to(first, ours),  # type: ignore[arg-type]
    )
    await handle(deputy, ooo)
    assert len(channel.sends()) == 1 and await follow_up_timers(deputy) == 1  # only the first one's
    assert await deputy.store.escalations.open() == []  # no question about a robot
    await fire_timers(deputy)
    sends = channel.sends()
    assert len(sends) == 2 and "following up" in sends[1].payload["text"]
    assert sends[1].payload["text"].startswith("Hello Pat,")


@pytest.mark.parametrize(
    "body",
    [
        "Hello, I'm currently on annual leave and will be back on 14 March. I will reply on my return.",
        "Vielen Dank für Ihre Nachricht. Ich bin bis zum 15. März im Urlaub und danach wieder erreichbar.",
        "Bonjour, je suis absente du bureau jusqu'au 12 mars. Je vous répondrai à mon retour.",
        "Gracias por su correo. Estaré de vacaciones hasta el 20 de marzo.",
        "Grazie per il messaggio. Sarò in ferie fino al 14 marzo.",
        "Bedankt voor uw bericht. Ik ben afwezig tot en met 10 maart.",
    ],
)
async def test_an_out_of_office_told_only_by_its_text_is_no_answer(daemon, body: str) -> None:
    """No header and a plain "Re:" subject: the wording alone says it is a notice, so it
    gets no reply and no question, and the nudge for the first mail still goes."""
    deputy, channel = daemon
    first = received(sender="Pat Lee <pat@client.test>", subject="Meeting next week?", body="Call next week?")
    await handle(deputy, first)
    ours = channel.sends()[0].payload["message_id"]
    ooo = received(
        sender="Pat Lee <pat@client.test>",
        subject="Re: Meeting next week?",
        body=body,
        **answer_to(first, ours),  # type: ignore[arg-type]
    )
    await handle(deputy, ooo)
    assert len(channel.sends()) == 1 and await follow_up_timers(deputy) == 1
    assert await deputy.store.escalations.open() == []
    await fire_timers(deputy)
    assert len(channel.sends()) == 2 and "following up" in channel.sends()[1].payload["text"]


async def test_cc_only_gets_the_acknowledgement_but_no_follow_up(daemon) -> None:
    deputy, _channel = daemon
    event = received(
        sender="Pat Lee <pat@client.test>",
        to="Sam Roe <sam@client.test>",
        cc="deputy@localhost",
        subject="Meeting next week?",
        body="Sam, shall we meet next week? Deputy in Cc for the calendar.",
    )
    await handle(deputy, event)
    assert await follow_up_timers(deputy) == 0
    assert any("not addressed to Deputy" in b for b in (await audit_of(deputy, event))["blocked"])


async def test_bcc_gets_neither_reply_nor_follow_up(daemon) -> None:
    deputy, channel = daemon
    event = received(
        sender="Pat Lee <pat@client.test>",
        to="Sam Roe <sam@client.test>",
        subject="Meeting next week?",
        body="Sam, shall we meet next week?",
    )
    await handle(deputy, event)
    assert channel.sends() == [] and await follow_up_timers(deputy) == 0


async def test_mail_to_the_owner_address_is_followed_up(daemon) -> None:
    deputy, channel = daemon
    event = received(
        sender="Pat Lee <pat@client.test>",
        to="Alex Example <alex@example.com>",
        cc="deputy@localhost",
        subject="Meeting next week?",
        body="Alex, a call next week?",
    )
    await handle(deputy, event)
    assert len(channel.sends()) == 1 and await follow_up_timers(deputy) == 1


async def test_a_follow_up_without_a_message_of_ours_is_dropped(daemon) -> None:
    deputy, _channel = daemon
    from bot.actions import FollowUp, Reply

    event = received(sender="Pat Lee <pat@client.test>", subject="Proposal", body="Our proposal attached.")
    await handle(deputy, event)
    async with deputy.store.db.transaction() as tx:
        alone = await deputy.executor.apply_in(
            tx,
            event=event,
            actions=(FollowUp(after_hours=24),),
            key_prefix="t:alone",
            rule="meetings",
            owner=OWNER,
            autonomous=True,
        )
        with_reply = await deputy.executor.apply_in(
            tx,
            event=event,
            actions=(FollowUp(after_hours=24), Reply(text="Thanks, we will look at it.")),
            key_prefix="t:with",
            rule="meetings",
            owner=OWNER,
            autonomous=True,
        )
    assert alone.descriptions == ("no follow-up: Deputy has not written in this thread",)
    assert with_reply.descriptions[0] == "follow up in 24 h"


# ----- a due follow-up checks the thread again ----------------------------------------
async def test_answer_filed_under_another_thread_still_cancels_the_nudge(daemon) -> None:
    deputy, channel = daemon
    first = received(sender="Pat Lee <pat@client.test>", subject="Meeting next week?", body="Call?")
    await handle(deputy, first)
    ours = channel.sends()[0].payload["message_id"]
    # Some clients send In-Reply-To only: the parser files it under a thread of its own.
    answer = received(
        sender="Pat Lee <pat@client.test>", subject="Re: next week", body="Wednesday works.", in_reply_to=ours
    )
    assert answer.thread != first.thread
    await handle(deputy, answer)
    before = len(channel.sends())
    await fire_timers(deputy)
    assert len(channel.sends()) == before
    rows = await deputy.store.db.fetchall("SELECT actions FROM audit WHERE actions LIKE '%has an answer%'")
    assert rows


async def test_our_own_copy_in_the_thread_is_no_answer(daemon) -> None:
    deputy, channel = daemon
    first = received(sender="Pat Lee <pat@client.test>", subject="Meeting next week?", body="Call?")
    await handle(deputy, first)
    ours = channel.sends()[0].payload["message_id"]
    copy = received(
        sender="Deputy <deputy@localhost>",
        to="pat@client.test",
        subject="Re: Meeting next week?",
        body="Hi Pat, thanks for reaching out.",
        **answer_to(first, ours),  # type: ignore[arg-type]
    )
    await handle(deputy, copy)
    await fire_timers(deputy)
    assert len(channel.sends()) == 2 and "following up" in channel.sends()[1].payload["text"]


async def test_a_timer_set_for_an_out_of_office_before_the_fix_does_nothing(daemon) -> None:
    deputy, channel = daemon
    from bot.store import Timers

    ooo = received(
        sender="Pat Lee <pat@client.test>", subject="Abwesenheitsnotiz: Meeting", body="Bin nicht im Büro."
    )
    await handle(deputy, ooo)
    async with deputy.store.db.transaction() as tx:
        await Timers.add_in(
            tx,
            key="legacy",
            due_at=0,
            kind="follow_up",
            payload={"channel": ooo.channel, "thread": ooo.thread, "event_id": ooo.id, "rule": "meetings"},
        )
    await fire_timers(deputy)
    assert channel.sends() == []
    rows = await deputy.store.db.fetchall(
        "SELECT actions FROM audit WHERE actions LIKE '%follow-up dropped%'"
    )
    assert rows
    notices = await deputy.store.db.fetchall("SELECT payload FROM outbox WHERE connector='cli'")
    assert not any("gone quiet" in n[0] for n in notices)  # nothing went cold: nothing was asked


async def test_a_timer_whose_message_is_gone_does_nothing(daemon) -> None:
    deputy, channel = daemon
    from bot.store import Timers

    async with deputy.store.db.transaction() as tx:
        await Timers.add_in(
            tx,
            key="orphan",
            due_at=0,
            kind="follow_up",
            payload={
                "channel": "local",
                "thread": "<gone@x>",
                "event_id": "local:<gone@x>",
                "rule": "meetings",
            },
        )
    await fire_timers(deputy)
    assert channel.sends() == []
    notices = await deputy.store.db.fetchall("SELECT payload FROM outbox WHERE connector='cli'")
    assert not any("gone quiet" in n[0] for n in notices)
