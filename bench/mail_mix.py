"""The subjects and bodies of the pipeline bench's supplier invoices: a mix, not one text.

Every event of a bench that carried the same body would let any cache keyed by text
answer all but the first, and a figure that rests on that says nothing of a real mailbox.
These are the shapes a supplier's invoice mail takes (a one-liner, line items with VAT,
German and French, a reply above a quoted request, a long legal footer), each with its own
invoice number, amount, date and order, so no two events share a subject or a body. Every
amount due stays within the shipped invoices rule's limit (200 EUR), and every subject
says "invoice" or "bill" (what older rulebooks select on), so each event is filed and
answered in every tree the A/B bench compares: the same work, other texts.

Imports nothing from ``bot``: ``bench/pipeline_ab.py`` gives another checkout's own
events these texts.
"""

from __future__ import annotations

from datetime import date, timedelta

_MONTHS_EN = "January February March April May June July August September October November December".split()
_MONTHS_DE = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split()
_MONTHS_FR = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()

_FOOTER = (
    "Acme Supplies GmbH - Industriestrasse 12 - 80331 Munich - Germany\n"
    "Managing directors: J. Berger, K. Ott - Commercial register: Munich HRB 123456\n"
    "This e-mail and any attachments are confidential and intended solely for the addressee. "
    "If you have received it in error, please notify the sender and delete it. "
    "Please consider the environment before printing this e-mail."
)


def _de(amount: float) -> str:
    """1234.5 -> "1.234,50" (German and French mail write amounts this way)."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def invoice_mail(n: int) -> dict[str, str]:
    """Subject and text of the ``n``-th invoice: one of eight shapes, its figures from ``n``."""
    total = 20 + (n * 37) % 170 + (n % 100) / 100  # 20.00 .. 189.99 EUR
    net = round(total / 1.19, 2)
    inv = f"INV-{2026_00000 + n}"
    order = f"PO-{4100 + n % 900}-{n}"
    due = date(2026, 12, 1) + timedelta(days=14 + n % 20)
    issued = date(2026, 11, 1) + timedelta(days=n % 28)
    shape = n % 8
    if shape == 0:
        return {
            "subject": f"Invoice {inv}",
            "text": f"Please find our invoice {inv} attached. Total due: {total:.2f} EUR",
        }
    if shape == 1:
        return {
            "subject": f"Invoice {inv} for order {order}",
            "text": (
                f"Dear customer,\n\nplease find attached invoice {inv} for your order {order}.\n\n"
                f"  2 x A4 paper, 500 sheets      {net * 0.4:.2f} EUR\n"
                f"  1 x toner cartridge           {net * 0.6:.2f} EUR\n"
                f"  Net amount                    {net:.2f} EUR\n"
                f"  VAT 19 %                      {total - net:.2f} EUR\n"
                f"  Total due                     {total:.2f} EUR\n\n"
                f"Payment due by {due.day} {_MONTHS_EN[due.month - 1]} {due.year}.\n\n"
                "Kind regards,\nAccounts receivable\nAcme Supplies"
            ),
        }
    if shape == 2:
        return {
            "subject": f"Rechnung / invoice Nr. {inv}",
            "text": (
                "Sehr geehrte Damen und Herren,\n\n"
                f"anbei erhalten Sie unsere Rechnung Nr. {inv} vom {issued.day}. "
                f"{_MONTHS_DE[issued.month - 1]} {issued.year} zu Ihrer Bestellung {order}.\n\n"
                f"Rechnungsbetrag: {_de(total)} €\n"
                f"Zahlbar bis zum {due.day:02d}.{due.month:02d}.{due.year} ohne Abzug.\n\n"
                "Mit freundlichen Grüßen\nIhre Buchhaltung\n\n" + _FOOTER
            ),
        }
    if shape == 3:
        return {
            "subject": f"Facture / invoice n° {inv}",
            "text": (
                "Bonjour,\n\n"
                f"veuillez trouver ci-joint notre facture n° {inv} du {issued.day} "
                f"{_MONTHS_FR[issued.month - 1]} {issued.year}.\n"
                f"Montant total TTC : {_de(total)} €\n"
                f"Échéance : {due.day:02d}/{due.month:02d}/{due.year}\n\n"
                "Cordialement,\nLe service comptabilité"
            ),
        }
    if shape == 4:
        return {
            "subject": f"Re: {order} - invoice",
            "text": (
                f"Hi,\n\nhere is the invoice for {order} as requested: {inv}, "
                f"amount due {total:.2f} EUR.\n\nBest,\nMaria from Acme Supplies\n\n"
                f"On Mon, {issued.day} {_MONTHS_EN[issued.month - 1]} {issued.year} at 09:14, "
                "Purchasing wrote:\n"
                f"> Hello, could you send us the invoice for order {order}?\n"
                "> We need it for this month's books.\n> Thanks!"
            ),
        }
    if shape == 5:
        return {
            "subject": f"Your Acme Supplies invoice {inv}",
            "text": (
                f"Your invoice {inv} is ready.\n\nInvoice date: {issued.isoformat()}\n"
                f"Amount due: EUR {total:.2f}\nDue date: {due.day} {_MONTHS_EN[due.month - 1]} {due.year}\n\n"
                "View and download your invoice in the customer portal.\n"
                "Questions about this bill? Just answer this mail.\n\n" + _FOOTER + "\n\n" + _FOOTER
            ),
        }
    if shape == 6:
        return {
            "subject": f"Invoice {inv} - order {order} shipped",
            "text": (
                f"Good morning,\n\nyour order {order} left our warehouse today in 3 parcels "
                f"(tracking 00340434{n:06d}). The invoice {inv} is attached.\n\n"
                f"Total: €{total:.2f} (incl. {total - net:.2f} VAT)\n\n"
                "Thank you for your business!\nAcme Supplies customer service"
            ),
        }
    return {
        "subject": f"Monthly bill {inv}",
        "text": (
            "Hello,\n\nthis is the bill for your subscription, "
            f"{_MONTHS_EN[issued.month - 1]} {issued.year}.\n"
            f"Customer number: C-{70000 + n % 5000}\nBill number: {inv}\n"
            f"Total amount due: {total:.2f} EUR, payable by {due.day} {_MONTHS_EN[due.month - 1]}.\n\n"
            "Regards,\nAcme Supplies billing"
        ),
    }
