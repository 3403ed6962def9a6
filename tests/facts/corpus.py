# ruff: noqa: E501  (messages are data: kept one case per few lines, as written)
"""The facts corpus: realistic messages in English, German, French, Spanish and Italian,
each with the facts it must give. Data only; tests/facts/test_corpus.py reads it.

Every case is also checked for what it must NOT give: no auto-reply sign and no
"details changed" announcement unless the case says so."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    subject: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    sender: str = "someone@example.com"
    expect: dict[str, Any] = field(default_factory=dict)


def case(name: str, text: str, subject: str = "", headers: dict[str, str] | None = None,
         event_refs: dict[str, str] | None = None, sender: str = "someone@example.com", **expect: Any) -> Case:  # fmt: skip
    """``expect`` keys: see tests/facts/test_corpus.py ``check``; ``refs`` there is the
    expected references, ``event_refs`` the Event's refs."""
    return Case(name, text, subject, headers or {}, event_refs or {}, sender, expect)


QUOTE_EN = "\n\nOn Mon, 1 Mar 2027 at 09:12, Owner <owner@example.org> wrote:\n> We would pay 250 EUR.\n> Total: 999 EUR\n"
QUOTE_DE = "\n\nAm 28.02.2027 um 10:00 schrieb Inhaber <owner@example.org>:\n> Unser Angebot: 250 Euro\n"
QUOTE_FR = (
    "\n\nLe lun. 1 mars 2027 à 09:00, Owner <owner@example.org> a écrit :\n> Nous proposons 250 euros.\n"
)
OUTLOOK = (
    "\n\n-----Original Message-----\nFrom: Owner <owner@example.org>\nSent: Monday, March 1, 2027 9:00 AM\n"
    "To: Sales <sales@vendor.com>\nSubject: Quote\n\nCan you do 250 EUR? IBAN GB82 WEST 1234 5698 7654 32\n"
)
OUTLOOK_DE = (
    "\n\nVon: Inhaber <owner@example.org>\nGesendet: Montag, 1. März 2027 09:00\nAn: Verkauf <v@firma.de>\n"
    "Betreff: Angebot\n\nGeht 250 EUR? Fällig am 01.01.2028\n"
)

# fmt: off
CASES: list[Case] = [
    # ---- invoices: English
    case(
        "en invoice total and vat",
        "Hello,\n\nPlease find attached invoice INV-2027-0042.\n\nSubtotal: £1,000.00\n"
        "VAT (20%): £200.00\nTotal due: £1,200.00\n\nPayment due by 15 March 2027.\nKind regards, Acme Ltd",
        subject="Invoice INV-2027-0042",
        due=("1200.00", "GBP"),
        amounts=[("1000.00", "GBP", "subtotal"), ("200.00", "GBP", "tax"), ("1200.00", "GBP", "due")],
        due_date="2027-03-15",
        refs=["INV-2027-0042"],
        lang="en",
        offer=None,
    ),
    case(
        "en invoice usd amount due",
        "Hi there,\nYour invoice #10482 is ready.\nAmount due: $180.00\n"
        "Due date: March 20, 2027\nThanks for your business!",
        subject="Your invoice #10482",
        due=("180.00", "USD"),
        due_date="2027-03-20",
        refs=["10482"],
        offer=None,
    ),
    case(
        "en invoice balance due",
        "Invoice 2027-118\nServices rendered: 2,400.00 USD\nDeposit paid: 600.00 USD\n"
        "Balance due: 1,800.00 USD\nPlease pay within 30 days.",
        due=("1800.00", "USD"),
        amounts=[("600.00", "USD", "deposit")],
        due_date="2027-03-31",
        refs=["2027-118"],
    ),
    case(
        "en invoice line items",
        "Invoice No. 5531\n2 x Consulting hours 150.00 EUR\n3 x Travel 40.00 EUR\n"
        "Net total: 420.00 EUR\nVAT 19%: 79.80 EUR\nGrand total: 499.80 EUR",
        amounts=[("150.00", "EUR", "line"), ("40.00", "EUR", "line"), ("79.80", "EUR", "tax")],
        due=("499.80", "EUR"),
        refs=["5531"],
    ),
    case(
        "en invoice net 30",
        "Please find our invoice INV-77 for EUR 3,500.00 attached. Terms: Net 30.",
        due=("3500.00", "EUR"),
        due_date="2027-03-31",
        refs=["INV-77"],
    ),
    case(
        "en invoice table layout",
        "INVOICE 9001\n\nDescription          Amount\nWebsite redesign     €4,000.00\nTotal\n€4,000.00\n",
        due=("4000.00", "EUR"),
        refs=["9001"],
    ),
    case(
        "en receipt chf",
        "Thank you for your payment of CHF 1'250.50. Receipt no. R-2201.",
        amounts=[("1250.50", "CHF", None)],
        refs=["R-2201"],
    ),
    case(
        "en invoice yen",
        "Invoice JP-3321: total ¥120,000 payable by 31/03/2027.",
        due=("120000", "JPY"),
        due_date="2027-03-31",
        refs=["JP-3321"],
    ),
    case(
        "en invoice rupees",
        "Invoice 8812 — Total amount: ₹ 45,000.00. Please pay within 7 days.",
        due=("45000.00", "INR"),
        due_date="2027-03-08",
    ),
    case(
        "en invoice currency in label",
        "Invoice 4410\nTotal (EUR): 1.840,00\nThank you.",
        due=("1840.00", "EUR"),
    ),
    case(
        "en invoice in pdf only",
        "Hi, our invoice is attached as PDF. Best, Tom",
        subject="Invoice March",
        no_amounts=True,
        lang="en",
    ),
    case(
        "en reminder",
        "Dear customer,\nThis is a friendly reminder that invoice INV-2027-0007 over $2,150.00 "
        "is overdue. The outstanding balance of $2,150.00 is now due.\nPlease pay by 10 March 2027.",
        subject="Payment reminder: INV-2027-0007",
        due=("2150.00", "USD"),
        due_date="2027-03-10",
        refs=["INV-2027-0007"],
    ),
    case(
        "en second reminder words",
        "We still have not received the nine hundred euros for order PO 4711.",
        subject="Second reminder",
        amounts=[("900", "EUR", None)],
        refs=["4711"],
    ),
    case(
        "en deposit request",
        "To confirm the booking we need a deposit of 30%: 450 EUR. The total is 1,500 EUR.",
        amounts=[("450", "EUR", "deposit"), ("1500", "EUR", "total")],
        due=("1500", "EUR"),
    ),
    case(
        "en crypto invoice",
        "Invoice 7788: please send 0.0042 BTC to our wallet. Total: 0.0042 BTC.",
        amounts=[("0.0042", "BTC", None)],
        due=("0.0042", "BTC"),
    ),
    case(
        "en usdt payment",
        "Payment of 1,500 USDT is due today for contract C-1002.",
        amounts=[("1500", "USDT", None)],
        refs=["C-1002"],
    ),
    case("en eth", "The fee is 0.5 ETH.", amounts=[("0.5", "ETH", "price")]),
    case(
        "en magnitude k",
        "The project budget is €5k, the follow-up phase about $12.5k.",
        amounts=[("5000", "EUR", None), ("12500", "USD", None)],
    ),
    case(
        "en magnitude million",
        "The company raised 1.5 million euros last year and 2 million USD before.",
        amounts=[("1500000", "EUR", None), ("2000000", "USD", None)],
    ),
    case("en magnitude bn", "Revenue reached $3bn.", amounts=[("3000000000", "USD", None)]),
    case(
        "en words",
        "We agreed on twelve hundred and fifty pounds for the whole job.",
        amounts=[("1250", "GBP", None)],
    ),
    case(
        "en several currencies",
        "Costs: 180 USD for hosting, £50 for the domain and CHF 99 for support.",
        amounts=[("180", "USD", None), ("50", "GBP", None), ("99", "CHF", None)],
    ),
    case(
        "en no money",
        "Hi, are we still on for lunch on the 12th? I have 3 questions and 2 ideas.",
        no_amounts=True,
        answer="asks",
        offer=None,
    ),
    case(
        "en numbers not money",
        "Call me at +44 20 7946 0958, ref 2027-03-15, we have 14 days and 19% growth.",
        no_amounts=True,
    ),
    case("en quoted total ignored", "Thanks, noted." + QUOTE_EN, no_amounts=True, offer=None),
    case(
        "en outlook quote ignored",
        "Thanks, we will review it internally." + OUTLOOK,
        no_amounts=True,
        ibans=[],
        offer=None,
    ),
    case(
        "en forwarded chain",
        "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Vendor <v@x.com>\n"
        "Date: Mon, Mar 1, 2027\nSubject: Quote\n\nOur price is 800 EUR.",
        no_amounts=True,
        offer=None,
    ),
    case(
        "en begin forwarded",
        "Please handle.\n\nBegin forwarded message:\n\nFrom: a@b.com\nTotal: $5,000",
        no_amounts=True,
    ),
    # ---- invoices: German
    case(
        "de rechnung",
        "Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie unsere Rechnung Nr. RE-2027-0042.\n\n"
        "Zwischensumme: 1.546,22 €\nMwSt. 19%: 293,78 €\nGesamtbetrag: 1.840,00 €\n\nFällig am 15.03.2027.\n"
        "Mit freundlichen Grüßen",
        subject="Rechnung RE-2027-0042",
        due=("1840.00", "EUR"),
        amounts=[("1546.22", "EUR", "subtotal"), ("293.78", "EUR", "tax"), ("1840.00", "EUR", "total")],
        due_date="2027-03-15",
        refs=["RE-2027-0042"],
        lang="de",
        offer=None,
    ),
    case(
        "de rechnungsbetrag",
        "Der Rechnungsbetrag von EUR 1.840,- ist zahlbar bis 31.3. ohne Abzug.",
        due=("1840", "EUR"),
        due_date="2027-03-31",
    ),
    case(
        "de zu zahlen",
        "Rechnungsnummer: 2027-118\nKundennummer: 10023\nNettobetrag 500,00 EUR\n"
        "zzgl. 19 % MwSt. 95,00 EUR\nZu zahlen: 595,00 EUR\nZahlbar innerhalb von 14 Tagen.",
        due=("595.00", "EUR"),
        amounts=[("500.00", "EUR", "subtotal"), ("95.00", "EUR", "tax")],
        refs=["2027-118", "10023"],
        due_date="2027-03-15",
    ),
    case("de inkl mwst total", "Gesamtbetrag inkl. MwSt.: 2.380,00 €", amounts=[("2380.00", "EUR", "total")]),
    case(
        "de anzahlung",
        "Bitte leisten Sie eine Anzahlung von 500 Euro. Der Restbetrag von 1.500 Euro ist bei "
        "Lieferung fällig.",
        amounts=[("500", "EUR", "deposit"), ("1500", "EUR", "due")],
    ),
    case(
        "de bestellung",
        "Vielen Dank für Ihre Bestellung. Bestellnummer: 4711-2027. Summe: 89,90 €",
        refs=["4711-2027"],
        due=("89.90", "EUR"),
    ),
    case(
        "de mahnung",
        "Leider konnten wir für die Rechnung 2027-0815 noch keinen Zahlungseingang feststellen. "
        "Offener Betrag: 1.190,00 EUR. Bitte überweisen Sie bis spätestens 20.03.2027.",
        subject="Zahlungserinnerung Rechnung 2027-0815",
        due=("1190.00", "EUR"),
        due_date="2027-03-20",
        refs=["2027-0815"],
    ),
    case("de worte", "Wir überweisen Ihnen neunhundert Euro bis Freitag.", amounts=[("900", "EUR", None)]),
    case(
        "de mio",
        "Das Volumen beträgt 2 Mio. € und der Gewinn 1,2 Mrd. Euro.",
        amounts=[("2000000", "EUR", None), ("1200000000", "EUR", None)],
    ),
    case("de nbsp", "Betrag: 1\u202f840,00\u00a0€", due=("1840.00", "EUR")),
    case("de zitat ignoriert", "Danke, wir melden uns." + QUOTE_DE, no_amounts=True, offer=None),
    case(
        "de outlook zitat ignoriert",
        "Passt, danke!" + OUTLOOK_DE,
        no_amounts=True,
        due_date=None,
        answer="accepts",
    ),
    case("de chf", "Total CHF 1'200.50 inkl. MWST", amounts=[("1200.50", "CHF", "total")]),
    # ---- invoices: French, Spanish, Italian
    case(
        "fr facture",
        "Bonjour,\n\nVeuillez trouver ci-joint la facture N° de facture : F-2027-019.\n"
        "Montant HT : 1 000,00 €\nTVA 20 % : 200,00 €\nMontant total TTC : 1 200,00 €\n"
        "À régler avant le 15 mars 2027.\nCordialement",
        subject="Facture F-2027-019",
        due=("1200.00", "EUR"),
        amounts=[("1000.00", "EUR", "subtotal"), ("200.00", "EUR", "tax"), ("1200.00", "EUR", "total")],
        due_date="2027-03-15",
        refs=["F-2027-019"],
        lang="fr",
        offer=None,
    ),
    case(
        "fr net a payer",
        "Net à payer : 850,00 EUR, sous 30 jours.",
        due=("850.00", "EUR"),
        due_date="2027-03-31",
    ),
    case(
        "fr acompte",
        "Un acompte de 300 euros est demandé à la commande.",
        amounts=[("300", "EUR", "deposit")],
    ),
    case("fr words", "Nous vous devons neuf cents euros.", amounts=[("900", "EUR", None)]),
    case(
        "fr echeance",
        "Facture 2027/044 — échéance : 30/04/2027 — Total TTC : 480,00 €",
        due=("480.00", "EUR"),
        due_date="2027-04-30",
    ),
    case("fr quote ignored", "Merci, je regarde." + QUOTE_FR, no_amounts=True, offer=None),
    case(
        "es factura",
        "Estimado cliente:\nAdjuntamos la factura 2027-55. Importe total: 1.210,00 €\n"
        "IVA: 210,00 €\nFecha de vencimiento: 15/04/2027\nGracias por su confianza.",
        due=("1210.00", "EUR"),
        amounts=[("210.00", "EUR", "tax")],
        due_date="2027-04-15",
        lang="es",
    ),
    case("es words", "Le pagaremos novecientos euros.", amounts=[("900", "EUR", None)]),
    case(
        "it fattura",
        "Gentile cliente,\nin allegato la fattura n. 118/2027.\nImponibile: 1.000,00 €\n"
        "IVA 22%: 220,00 €\nTotale: 1.220,00 €\nScadenza: 30 aprile 2027.\nCordiali saluti",
        due=("1220.00", "EUR"),
        amounts=[("1000.00", "EUR", "subtotal"), ("220.00", "EUR", "tax")],
        due_date="2027-04-30",
        lang="it",
    ),
    case("it words", "Vi paghiamo duemila euro.", amounts=[("2000", "EUR", None)]),
    # ---- payment details and fraud
    case(
        "de iban normal",
        "Bitte überweisen Sie auf:\nKontoinhaber: Müller GmbH\nIBAN: DE89 3704 0044 0532 0130 00\n"
        "BIC: COBADEFFXXX",
        ibans=["DE89370400440532013000"],
        payee="Müller GmbH",
        accounts=["bic:COBADEFFXXX"],
    ),
    case(
        "de neue bankverbindung",
        "Sehr geehrte Kunden, bitte beachten Sie unsere neue Bankverbindung:\n"
        "IBAN DE44 5001 0517 5407 3249 31",
        ibans=["DE44500105175407324931"],
        change=True,
    ),
    case(
        "de geaenderte kontodaten",
        "Aufgrund eines Bankwechsels haben sich unsere Kontodaten geändert. "
        "Bitte verwenden Sie ab sofort die geänderte Bankverbindung.",
        change=True,
    ),
    case(
        "en new bank details",
        "Dear client, please note our new bank details for all future payments:\n"
        "Account name: Acme Trading Ltd\nSort code: 12-34-56\nAccount number: 12345678",
        accounts=["sort:123456", "acct:12345678"],
        payee="Acme Trading Ltd",
        change=True,
    ),
    case(
        "en account changed",
        "Our bank account has changed. Kindly update our payment details before paying "
        "invoice INV-2027-0042.",
        change=True,
        refs=["INV-2027-0042"],
    ),
    case(
        "en please update records",
        "Please update your records with our banking information below. "
        "Beneficiary: Global Parts LLC, Routing number: 021000021, Account no. 9876543210",
        accounts=["aba:021000021", "acct:9876543210"],
        payee="Global Parts LLC",
        change=True,
    ),
    case(
        "en fraud urgent",
        "URGENT: due to an audit, payments to our old account will be rejected. "
        "Wire the $48,500 to the new account below today.\nIBAN GB82 WEST 1234 5698 7654 32",
        ibans=["GB82WEST12345698765432"],
        change=True,
        amounts=[("48500", "USD", None)],
    ),
    case(
        "fr nouvelles coordonnees",
        "Veuillez noter nos nouvelles coordonnées bancaires : IBAN FR14 2004 1010 0505 0001 3M02 606",
        ibans=["FR1420041010050500013M02606"],
        change=True,
    ),
    case("fr nouveau rib", "Suite à un changement de banque, voici notre nouveau RIB.", change=True),
    case(
        "es nuevo numero",
        "Les informamos de nuestro nuevo número de cuenta: ES91 2100 0418 4502 0005 1332",
        ibans=["ES9121000418450200051332"],
        change=True,
    ),
    case(
        "it nuove coordinate",
        "Vi comunichiamo le nuove coordinate bancarie: IT60 X054 2811 1010 0000 0123 456",
        ibans=["IT60X0542811101000000123456"],
        change=True,
    ),
    case("iban invalid checksum", "IBAN: DE89 3704 0044 0532 0130 01", ibans=[]),
    case(
        "iban compact and lower",
        "iban nl91abna0417164300 and CH9300762011623852957",
        ibans=["NL91ABNA0417164300", "CH9300762011623852957"],
    ),
    case(
        "iban two in a row",
        "GB82 WEST 1234 5698 7654 32 or FR14 2004 1010 0505 0001 3M02 606",
        ibans=["GB82WEST12345698765432", "FR1420041010050500013M02606"],
    ),
    case(
        "kontonummer blz", "Kontonummer: 1234567, BLZ 370 400 44", accounts=["acct:1234567", "blz:37040044"]
    ),
    case("iban in quote not ours", "Noted, thanks." + OUTLOOK, ibans=[]),
    case(
        "bank details unchanged wording",
        "Our bank details are the same as before; nothing has changed.",
        change=False,
    ),
    # ---- quotes, offers, counter-offers, refusals, ranges
    case(
        "en refusal best price",
        "Hi,\n\nWe can't do 250 EUR, sorry - our best price is 320 EUR.\n\nBest, Sam" + QUOTE_EN,
        offer={"value": "320", "refused": ["250"], "currency": "EUR"},
        answer="counter",
    ),
    case(
        "en cannot go below",
        "Thanks for your message. We cannot go below 300 EUR for this job.",
        offer={"value": "300", "refused": [], "currency": "EUR"},
        answer="counter",
    ),
    case(
        "en range between",
        "We could do it for between 300 and 350 EUR depending on the scope.",
        offer={"value": None, "low": "300", "high": "350", "currency": "EUR"},
    ),
    case("en range dash", "Price: 300-350 EUR per day.", offer={"value": None, "low": "300", "high": "350"}),
    case(
        "en plus vat per day",
        "Our rate is 450 EUR per day plus VAT.",
        offer={"value": "450", "vat": "excl", "currency": "EUR", "text_has": "per day"},
    ),
    case(
        "en quote usd",
        "Thanks for the request. Our quote for the full project is $12,000.",
        offer={"value": "12000", "currency": "USD"},
    ),
    case(
        "en bare refusal",
        "Unfortunately we cannot accept 250, our price is 300 EUR.",
        offer={"value": "300", "refused": ["250"]},
        answer="counter",
    ),
    case(
        "en how about", "That's too high for us. How about 280 EUR?", offer={"value": "280"}, answer="counter"
    ),
    case(
        "en final offer gbp",
        "Our final price is £1,150 including VAT.",
        offer={"value": "1150", "currency": "GBP", "vat": "incl"},
    ),
    case("en per hour", "We charge 95 USD per hour.", offer={"value": "95", "text_has": "per hour"}),
    case(
        "en quoted price is not their offer",
        "Let me check with my team and come back to you." + QUOTE_EN,
        offer=None,
        no_amounts=True,
    ),
    case(
        "en words offer", "We could do it for nine hundred euros.", offer={"value": "900", "currency": "EUR"}
    ),
    case(
        "de unmoeglich",
        "250 Euro sind leider unmöglich. Unser Preis: 280 Euro zzgl. MwSt.",
        offer={"value": "280", "refused": ["250"], "vat": "excl", "currency": "EUR"},
        answer="counter",
    ),
    case(
        "de zwischen",
        "Wir können das für zwischen 300 und 350 Euro machen.",
        offer={"value": None, "low": "300", "high": "350"},
    ),
    case("de angebot inkl", "Unser Angebot: 1.200 € inkl. MwSt.", offer={"value": "1200", "vat": "incl"}),
    case(
        "de nicht unter", "Unter 400 Euro können wir es nicht machen.", offer={"value": "400", "refused": []}
    ),
    case(
        "fr refus",
        "Nous ne pouvons pas accepter 250 euros. Notre prix est de 300 euros HT.",
        offer={"value": "300", "refused": ["250"], "vat": "excl"},
        answer="counter",
    ),
    case("fr ttc", "Notre tarif est de 540 € TTC.", offer={"value": "540", "vat": "incl"}),
    case(
        "fr fourchette",
        "Le prix serait entre 300 et 350 euros.",
        offer={"value": None, "low": "300", "high": "350"},
    ),
    case("es oferta", "Nuestro precio es 400 euros IVA incluido.", offer={"value": "400", "vat": "incl"}),
    case(
        "es no podemos",
        "No podemos aceptar 200 euros; podemos hacerlo por 260 euros.",
        offer={"value": "260", "refused": ["200"]},
        answer="counter",
    ),
    case("it prezzo", "Il prezzo è 500 euro più IVA.", offer={"value": "500", "vat": "excl"}),
    case(
        "it non possiamo",
        "Non possiamo fare 300 euro, il nostro prezzo è 380 euro.",
        offer={"value": "380", "refused": ["300"]},
        answer="counter",
    ),
    # ---- answers
    case("en accepts time", "Tuesday 10:00 works for me.", answer="accepts", offer=None, no_amounts=True),
    case("en sounds good", "Sounds good, let's go ahead.", answer="accepts"),
    case("en deal", "Deal. Send the contract over.", answer="accepts"),
    case("en declines", "No thanks, we are not interested at the moment.", answer="declines"),
    case("en doesnt work", "Tuesday doesn't work for me, sorry.", answer="declines"),
    case("en asks", "Could you send me the specs first?", answer="asks"),
    case("en asks question mark", "What is the delivery time for 200 units?", answer="asks"),
    case("de einverstanden", "Einverstanden, so machen wir es.", answer="accepts"),
    case("de leider nein", "Leider nein, wir haben uns anders entschieden.", answer="declines"),
    case("de nicht einverstanden", "Damit sind wir nicht einverstanden.", answer="declines"),
    case("de frage", "Können Sie mir bitte noch das Datenblatt schicken?", answer="asks"),
    case("fr daccord", "D'accord, ça me va.", answer="accepts"),
    case("fr pas interesse", "Merci, mais nous ne sommes pas intéressés.", answer="declines"),
    case("fr pas daccord", "Je ne suis pas d'accord avec ces conditions.", answer="declines"),
    case("es de acuerdo", "De acuerdo, me parece bien.", answer="accepts"),
    case("es no gracias", "No gracias, no estamos interesados.", answer="declines"),
    case("it va bene", "Va bene, procediamo.", answer="accepts"),
    case("it non va bene", "Non va bene per noi, mi dispiace.", answer="declines"),
    # ---- auto-replies, out of office, bounces
    case(
        "ooo subject en",
        "I am currently out of the office until 15 March with limited access to email.",
        subject="Out of Office: Quote",
        auto="out_of_office",
        answer="",
        offer=None,
    ),
    case(
        "ooo automatic reply outlook",
        "I am out of the office until Monday. For urgent matters contact Jane.",
        subject="Automatic reply: Invoice 42",
        auto="out_of_office",
    ),
    case(
        "ooo body only",
        "Thank you for your email. I am currently out of the office until March 15th and will "
        "reply on my return.",
        subject="Re: Quote",
        auto="out_of_office",
    ),
    case(
        "ooo de",
        "Vielen Dank für Ihre Nachricht. Ich bin bis 15.03. nicht im Büro.",
        subject="Abwesenheitsnotiz: Angebot",
        auto="out_of_office",
    ),
    case(
        "ooo de body",
        "Ich bin bis einschließlich 12. März nicht im Büro. Ihre Mail wird nicht weitergeleitet.",
        subject="AW: Rechnung",
        auto="out_of_office",
    ),
    case(
        "auto de",
        "Ihre Nachricht ist eingegangen und wird bearbeitet.",
        subject="Automatische Antwort: Anfrage",
        auto="auto_reply",
    ),
    case(
        "ooo fr",
        "Je suis absente du bureau jusqu'au 15 mars.",
        subject="Réponse automatique : Devis",
        auto="out_of_office",
    ),
    case("ooo fr absence", "Je suis en congés.", subject="Absence du bureau", auto="out_of_office"),
    case(
        "ooo es",
        "Estoy fuera de la oficina hasta el lunes.",
        subject="Respuesta automática: Factura",
        auto="out_of_office",
    ),
    case("ooo it", "Sono fuori ufficio fino al 15 marzo.", subject="Fuori ufficio", auto="out_of_office"),
    case(
        "auto header",
        "Thanks, we received your ticket.",
        headers={"auto-submitted": "auto-replied"},
        auto="auto_reply",
    ),
    case("auto header no", "Here is the price: 300 EUR.", headers={"auto-submitted": "no"}, auto=""),
    case("x-autoreply", "Received.", headers={"x-autoreply": "yes"}, auto="auto_reply"),
    case("precedence auto_reply", "Ticket opened.", headers={"precedence": "auto_reply"}, auto="auto_reply"),
    case(
        "bounce dsn",
        "This is the mail system at host mx.example.com.\nI'm sorry to have to inform you that your "
        "message could not be delivered to one or more recipients.",
        subject="Undelivered Mail Returned to Sender",
        sender="mailer-daemon@mx.example.com",
        auto="bounce",
        answer="",
    ),
    case(
        "bounce multipart report",
        "Delivery has failed.",
        event_refs={"multipart_report": "true", "report_type": "delivery-status"},
        auto="bounce",
    ),
    case(
        "bounce undeliverable",
        "Your message couldn't be delivered.",
        subject="Undeliverable: Invoice",
        auto="bounce",
    ),
    case(
        "bounce mail delivery failed",
        "A message that you sent could not be delivered.",
        subject="Mail delivery failed: returning message to sender",
        auto="bounce",
    ),
    case(
        "bounce de",
        "Ihre Nachricht konnte nicht zugestellt werden.",
        subject="Unzustellbar: Angebot",
        auto="bounce",
    ),
    case(
        "normal mail mentions vacation",
        "I'm going on vacation next week, so let's sign before Friday. The price of 300 EUR is fine.",
        subject="Re: Contract",
        auto="",
        answer="accepts",
    ),
    case("subject urlaub not ooo", "Hier die Fotos vom Urlaub!", subject="Urlaub 2026", auto=""),
    # ---- newsletters with prices
    case(
        "newsletter sale",
        "Spring sale! Shoes from $49, jackets now only €89.\nUnsubscribe here.",
        subject="Spring sale: up to 50% off",
        headers={"list-unsubscribe": "<mailto:u@shop.com>"},
        amounts=[("49", "USD", None), ("89", "EUR", "price")],
        offer=None,
        answer="",
    ),
    case(
        "newsletter de",
        "Jetzt zugreifen: Smartphone für nur 199,00 € statt 299,00 €!",
        headers={"list-id": "<news.shop.de>"},
        amounts=[("199.00", "EUR", None), ("299.00", "EUR", None)],
        offer=None,
    ),
    # ---- invites in the body
    case(
        "invite in text",
        "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nSUMMARY:Project kickoff\n"
        "DTSTART:20270316T100000Z\nORGANIZER;CN=Ann:mailto:ann@example.com\nEND:VEVENT\nEND:VCALENDAR",
        invite={
            "method": "REQUEST",
            "summary": "Project kickoff",
            "start": "2027-03-16T10:00:00Z",
            "organizer": "ann@example.com",
        },
    ),
    # ---- dates and references
    case("date month first us", "Payment due on April 2, 2027.", due_date="2027-04-02"),
    case("date iso", "Due date: 2027-04-01", due_date="2027-04-01"),
    case("date not due", "We met on 12.03.2027 and the invoice date is 01.03.2027.", due_date=None),
    case("date de ausgeschrieben", "Zahlbar bis zum 15. April 2027.", due_date="2027-04-15"),
    case("date fr relative", "Paiement à effectuer dans un délai de 15 jours.", due_date="2027-03-16"),
    case("date it entro", "Da pagare entro il 10/04/2027.", due_date="2027-04-10"),
    case("refs po", "Please reference PO 4711 and customer no. C-88 on your invoice.", refs=["4711", "C-88"]),
    case("refs bestellnummer", "Ihre Bestellnummer lautet 2027-4711.", refs=["2027-4711"]),
    case("refs none", "Order: please ship asap to our P.O. box.", refs=[]),
    # ---- language
    case(
        "lang nl",
        "Hierbij de factuur voor het werk, met vriendelijke groet. Wij danken u voor de opdracht.",
        lang="nl",
    ),
    case("lang short unsure", "OK", lang=""),
    # ---- found by the outcome corpus (tests/corpus)
    case("en compound number not money", "What would be your price for a 2-day workshop in April?", no_amounts=True, offer=None),
    case("en bill is an invoice", "Your bill for February is ready.\nTotal: 29.90 EUR (incl. VAT)", due=("29.90", "EUR"), offer=None),
]
# fmt: on
