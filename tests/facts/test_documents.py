"""PDF invoices and calendar invites through the real email parser, then ``extract``."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage

from bot.events import Attachment, Event
from bot.facts import extract
from bot.owner import OwnerProfile
from connectors.email.documents import MAX_PDF_PAGES, MAX_TEXT, pdf_text
from connectors.email.parse import parse_message
from tests.facts.pdfs import make_pdf

OWNER = OwnerProfile(name="Olive Owner", emails=("owner@example.com",))
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)

INVOICE_PAGE = [
    "ACME Supplies GmbH - Rechnung",
    "Rechnungsnummer: RE-2027-0042",
    "Pos. 1  Beratung  1.546,22 EUR",
    "Zwischensumme: 1.546,22 EUR",
    "MwSt. 19%: 293,78 EUR",
    "Gesamtbetrag: 1.840,00 EUR",
    "Zahlbar bis 15.03.2027",
    "IBAN: DE89 3704 0044 0532 0130 00",
]
CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:1@x\r\n"
    "SUMMARY:Quarterly review\\, budget\r\nDTSTART;TZID=Europe/Berlin:20270316T100000\r\n"
    'ORGANIZER;CN="Ann, Sales":mailto:ann@vendor.example\r\nDESCRIPTION:a long line that\r\n  continues\r\n'
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def mail(*parts: tuple[bytes, str, str, str], body: str = "Please find our invoice attached.") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Billing <billing@acme.example>"
    msg["To"] = "deputy@deputy.test"
    msg["Subject"] = "Your invoice"
    msg["Message-ID"] = "<inv-1@acme.example>"
    msg.set_content(body)
    for data, maintype, subtype, name in parts:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def parsed(data: bytes) -> Event:
    result = parse_message(
        data, connector="email", own_addresses=("deputy@deputy.test",), owner=OWNER, received_at=NOW
    )
    assert result.event is not None, result.quarantine_reason
    return result.event


def test_amounts_of_a_pdf_invoice_come_through_the_parser() -> None:
    event = parsed(mail((make_pdf([INVOICE_PAGE]), "application", "pdf", "RE-2027-0042.pdf")))
    (pdf,) = event.attachments
    assert "Gesamtbetrag" in pdf.text
    facts = extract(event)
    due = facts.amount_due
    assert due is not None and (due.value, due.currency, due.source) == (
        Decimal("1840.00"),
        "EUR",
        "attachment",
    )
    roles = {(a.value, a.role) for a in facts.amounts}
    assert (Decimal("293.78"), "tax") in roles and (Decimal("1546.22"), "subtotal") in roles
    assert facts.payment.ibans == ("DE89370400440532013000",)
    assert facts.due_date == date(2027, 3, 15)
    assert "RE-2027-0042" in facts.references


def test_pdf_sent_as_octet_stream_is_read_by_its_name() -> None:
    event = parsed(mail((make_pdf([INVOICE_PAGE]), "application", "octet-stream", "invoice.pdf")))
    assert extract(event).amount_due is not None


def test_a_broken_pdf_is_a_defect_not_a_crash() -> None:
    event = parsed(mail((b"%PDF-1.4\n1 0 obj << /Type /Catalog", "application", "pdf", "broken.pdf")))
    assert event.attachments[0].text == ""
    assert any("PDF text not readable" in d for d in event.defects)
    assert extract(event).amounts == ()


def test_pdf_reading_is_bounded_in_pages_and_characters() -> None:
    pages = [[f"page {i} " + "x" * 80] * 40 for i in range(MAX_PDF_PAGES + 3)]
    text, problem = pdf_text(make_pdf(pages))
    assert problem == ""
    assert len(text) <= MAX_TEXT
    assert f"page {MAX_PDF_PAGES + 1}" not in text


def test_calendar_part_gives_an_invite() -> None:
    event = parsed(mail((CALENDAR.encode(), "text", "calendar", "invite.ics"), body="Invitation attached."))
    invite = extract(event).invite
    assert invite is not None
    assert invite.method == "REQUEST"
    assert invite.summary == "Quarterly review, budget"
    assert invite.start == "2027-03-16T10:00:00 Europe/Berlin"
    assert invite.organizer == "ann@vendor.example"


def test_attachment_text_survives_json() -> None:
    event = parsed(mail((make_pdf([INVOICE_PAGE]), "application", "pdf", "a.pdf")))
    again = Event.from_json(event.to_json())
    assert again.attachments[0].text == event.attachments[0].text


def test_old_event_json_without_attachment_text_loads() -> None:
    event = Event(
        id="email:<x@y>",
        channel="email",
        kind="message",
        thread="t",
        sender="a@b.example",
        received_at=NOW,
        attachments=(Attachment(filename="a.pdf", content_type="application/pdf", size=3),),
    )
    raw = event.to_json()
    assert '"text": ""' not in raw.split('"attachments"')[1].split("]")[0]
    assert Event.from_json(raw).attachments[0].text == ""


def test_base64_pdf_part_decodes() -> None:
    data = make_pdf([["Total: 99,00 EUR"]])
    assert base64.b64decode(base64.b64encode(data)) == data
    event = parsed(mail((data, "application", "pdf", "r.pdf")))
    assert [a.value for a in extract(event).amounts] == [Decimal("99.00")]
