"""The digest's "Money and commitments" lists the invoices received, read from the
facts kept with each message: the amount due, the due date, changed payment details."""

from __future__ import annotations

from bot.desks.digest import build_digest
from tests.core.helpers import mail

FIRST = (
    "Dear customer,\nplease find invoice INV-2025-114 for March.\n"
    "Total due: 180.00 EUR, payable by 15 March 2025.\n"
    "IBAN: DE89 3704 0044 0532 0130 00\n"
)
SECOND = (
    "Sehr geehrte Damen und Herren,\nanbei unsere Rechnung INV-2025-131.\n"
    "Zu zahlen: 240,50 EUR, zahlbar bis 30.04.2025.\n"
    "Bitte beachten Sie unsere neue Bankverbindung: IBAN GB82 WEST 1234 5698 7654 32\n"
)


async def test_digest_lists_invoices_with_due_date_and_changed_details(daemon) -> None:
    deputy, _ = daemon
    await deputy.emit(mail(sender="ap@acme-supplies.com", subject="Invoice INV-2025-114", text=FIRST))
    await deputy.drain()
    await deputy.emit(mail(sender="ap@acme-supplies.com", subject="Rechnung INV-2025-131", text=SECOND))
    await deputy.emit(mail(sender="bob@client.com", subject="Lunch?", text="Lunch on Friday?"))
    await deputy.drain()
    digest = await build_digest(deputy.store, owner=deputy.rules().owner, since=0)
    money = digest.text[digest.text.index("Money and commitments") :]
    lines = [line for line in money.splitlines() if "invoice from" in line]
    assert len(lines) == 2, money
    assert "ap@acme-supplies.com" in lines[0] and "180.00 EUR" in lines[0] and "due 2025-03-15" in lines[0]
    assert "240.50 EUR" in lines[1] and "due 2025-04-30" in lines[1] and "payment details CHANGED" in lines[1]
    assert "bob@client.com" not in money
