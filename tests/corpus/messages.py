# ruff: noqa: E501  (messages are data: one case per few lines, as written)
"""The outcome corpus (issue #15, "How we will know"): realistic mail, each with the
facts it must give and what Deputy must do with it under the shipped rulebook.

The expectations say what a careful human deputy would do, not what the code happens
to do today: where they differ, the case carries ``wrong=`` and is reported (and
marked xfail, strict) by tests/corpus/test_outcomes.py.

Outcomes: ``does`` is the set of effects (reply to the sender, forward to a third
party, file, ask the owner); the empty set is "does nothing".
"""

from __future__ import annotations

from typing import Any

from tests.corpus.build import (
    Case,
    Effect,
    alternative,
    bounce,
    forwarded,
    html_only,
    invite,
    plain,
)

NOTHING: frozenset[Effect] = frozenset()
REPLY_FILE = frozenset({"reply", "file"})
FILE_ASK = frozenset({"file", "ask"})
FILE = frozenset({"file"})
ASK = frozenset({"ask"})
REPLY = frozenset({"reply"})
FORWARD_FILE = frozenset({"forward", "file"})

IBAN_DE_OLD = "DE89 3704 0044 0532 0130 00"
IBAN_LT_NEW = "LT12 1000 0111 0100 1000"
IBAN_GB = "GB82 WEST 1234 5698 7654 32"
IBAN_FR = "FR14 2004 1010 0505 0001 3M02 606"
IBAN_ES = "ES91 2100 0418 4502 0005 1332"
IBAN_IT = "IT60 X054 2811 1010 0000 0123 456"
IBAN_PL = "PL61 1090 1014 0000 0712 1981 2874"

CASES: list[Case] = []


def case(
    name: str,
    category: str,
    raw: bytes,
    *,
    rule: str,
    does: frozenset[Effect],
    before: tuple[bytes, ...] = (),
    wrong: str = "",
    **facts: Any,
) -> None:
    CASES.append(Case(name, category, raw, rule, does, facts, before, wrong))


def html(body: str) -> str:
    return f"<!DOCTYPE html><html><head><style>td{{padding:4px}}</style></head><body>{body}</body></html>"


# fmt: off
# ---------------------------------------------------------------- invoices within the limit
case("inv-small-en", "invoice small", plain("inv-small-en", "Xavier Hill <x.hill@acme-supplies.com>", "Invoice INV-2027-0101",
     "Hello,\n\nplease find our invoice INV-2027-0101 for the toner cartridges.\n\nTotal due: 150.00 EUR\nDue date: 15 March 2027\n\nKind regards\nXavier Hill\nACME Supplies"),
     rule="invoices", does=REPLY_FILE, due=("150.00", "EUR"))
case("inv-small-de", "invoice small", plain("inv-small-de", "Buchhaltung ACME <rechnung@acme-supplies.com>", "Rechnung Nr. 2027-114",
     "Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie unsere Rechnung Nr. 2027-114.\n\nNettobetrag: 100,00 €\nMwSt. 19 %: 19,00 €\nGesamtbetrag: 119,00 €\n\nZahlbar innerhalb von 14 Tagen ohne Abzug.\n\nMit freundlichen Grüßen\nACME Supplies GmbH"),
     rule="invoices", does=REPLY_FILE, due=("119.00", "EUR"))
case("inv-small-fr", "invoice small", plain("inv-small-fr", "Claire Martin <claire@acme-supplies.com>", "Facture F-2027-033 (invoice)",
     "Bonjour,\n\nveuillez trouver ci-dessous notre facture F-2027-033.\n\nMontant HT : 150,00 €\nTVA 20 % : 30,00 €\nMontant TTC : 180,00 €\n\nÀ régler sous 30 jours.\n\nCordialement,\nClaire Martin"),
     rule="invoices", does=REPLY_FILE, due=("180.00", "EUR"))
case("inv-small-es", "invoice small", plain("inv-small-es", "Facturación <billing@proveedor-iberico.es>", "Factura FAC-0457",
     "Estimado cliente:\n\nle enviamos la factura FAC-0457 correspondiente a febrero.\n\nBase imponible: 120,00 €\nIVA (21%): 25,20 €\nTotal a pagar: 145,20 €\n\nUn saludo,\nProveedor Ibérico S.L."),
     rule="invoices", does=REPLY_FILE, due=("145.20", "EUR"))
case("inv-small-it", "invoice small", plain("inv-small-it", "Amministrazione <billing@fornitore-italia.it>", "Fattura n. 88/2027",
     "Gentile cliente,\n\nin allegato la fattura n. 88/2027.\n\nImponibile: 80,00 €\nIVA 22%: 17,60 €\nTotale da pagare: 97,60 €\n\nCordiali saluti\nFornitore Italia S.r.l."),
     rule="invoices", does=REPLY_FILE, due=("97.60", "EUR"))
case("inv-small-html", "invoice small", html_only("inv-small-html", "ACME Billing <billing@acme-supplies.com>", "Your invoice 5531 is ready",
     html("<h1>Invoice 5531</h1><table><tr><td>Paper A4, 10 boxes</td><td>45.00 EUR</td></tr><tr><td><b>Total due</b></td><td><b>45.00 EUR</b></td></tr></table><p>Thank you for your business!</p>")),
     rule="invoices", does=REPLY_FILE, due=("45.00", "EUR"))
case("inv-small-alt", "invoice small", alternative("inv-small-alt", "Nora Weiss <nora@acme-supplies.com>", "Invoice 7781",
     "Hi,\n\nattached is invoice 7781.\nAmount due: EUR 60.00\n\nBest,\nNora",
     html("<p>Hi,</p><p>attached is invoice <b>7781</b>.<br>Amount due: <b>EUR&nbsp;60.00</b></p><p>Best,<br>Nora</p>")),
     rule="invoices", does=REPLY_FILE, due=("60.00", "EUR"))
case("inv-small-euro-sign", "invoice small", plain("inv-small-euro-sign", "ap@acme-supplies.com", "Invoice 9002",
     "Invoice 9002\n\n1 x Service fee  €75.00\nTotal  €75.00\n\nPlease pay by bank transfer."),
     rule="invoices", does=REPLY_FILE, due=("75.00", "EUR"))
case("inv-small-bill", "invoice small", plain("inv-small-bill", "Billing Team <billing@hosting.example>", "Your bill for February",
     "Hello,\n\nyour bill for February is ready.\nTotal: 29.90 EUR (incl. VAT)\nIt will be charged to your card on file.\n\nYour Hosting Team"),
     rule="invoices", does=REPLY_FILE, due=("29.90", "EUR"), offer=None)
case("inv-small-reminder", "invoice small", plain("inv-small-reminder", "Maria Lopez <maria@acme-supplies.com>", "Payment reminder: invoice 2027-0077",
     "Dear customer,\n\nour records show that invoice 2027-0077 of 12 February is still open.\nOpen amount: 88.00 EUR\n\nIf you have already paid, please disregard this message.\n\nMaria Lopez"),
     rule="invoices", does=REPLY_FILE, due=("88.00", "EUR"))
case("inv-small-exact-limit", "invoice small", plain("inv-small-exact-limit", "ap2@acme-supplies.com", "Invoice 4400",
     "Invoice 4400\nTotal due: 200.00 EUR\nThank you."),
     rule="invoices", does=REPLY_FILE, due=("200.00", "EUR"))
case("inv-small-same-iban", "invoice small", plain("inv-small-same-iban", "ap3@acme-supplies.com", "Invoice 4401",
     f"Invoice 4401\nTotal due: 95.00 EUR\nPlease transfer to {IBAN_DE_OLD}."),
     rule="invoices", does=REPLY_FILE, due=("95.00", "EUR"), changed=False,
     before=(plain("inv-small-same-iban-0", "ap3@acme-supplies.com", "Invoice 4300", f"Invoice 4300\nTotal due: 90.00 EUR\nIBAN: {IBAN_DE_OLD}"),))

# ---------------------------------------------------------------- invoices above the limit
case("inv-large-en", "invoice large", plain("inv-large-en", "Tom Baker <tom@acme-supplies.com>", "Invoice INV-2027-0190",
     "Hello,\n\nplease find invoice INV-2027-0190 for the new office chairs.\n\nSubtotal: 2,000.00 EUR\nVAT 19%: 380.00 EUR\nTotal due: 2,380.00 EUR\n\nThanks,\nTom"),
     rule="invoices", does=FILE_ASK, due=("2380.00", "EUR"))
case("inv-large-de", "invoice large", plain("inv-large-de", "ACME Rechnungswesen <billing@acme-supplies.com>", "Rechnung 2027-220",
     "Guten Tag,\n\nfür die Wartung im Februar berechnen wir:\n\nGesamtbetrag: 1.250,00 EUR\n\nBitte überweisen Sie den Betrag bis zum 31.03.2027.\n\nFreundliche Grüße"),
     rule="invoices", does=FILE_ASK, due=("1250.00", "EUR"))
case("inv-large-fr", "invoice large", plain("inv-large-fr", "Compta <billing@atelier-lyon.fr>", "Facture 2027-58",
     "Bonjour,\n\nci-joint la facture 2027-58.\nTotal TTC : 3 600,00 €\nÉchéance : 30/03/2027\n\nBien à vous"),
     rule="invoices", does=FILE_ASK, due=("3600.00", "EUR"))
case("inv-large-just-over", "invoice large", plain("inv-large-just-over", "ap4@acme-supplies.com", "Invoice 4402",
     "Invoice 4402\nTotal due: 200.01 EUR"),
     rule="invoices", does=FILE_ASK, due=("200.01", "EUR"))
case("inv-large-alt", "invoice large", alternative("inv-large-alt", "Stripe Invoices <billing@saas-vendor.example>", "Invoice #A1B2-0003 from SaaS Vendor",
     "Invoice #A1B2-0003\nAmount due: €1,188.00\nDue March 31, 2027\nPay online: https://pay.saas-vendor.example/i/A1B2",
     html("<table><tr><td>Invoice #A1B2-0003</td></tr><tr><td>Amount due</td><td>€1,188.00</td></tr><tr><td>Due March 31, 2027</td></tr></table><a href='https://pay.saas-vendor.example/i/A1B2'>Pay this invoice</a>")),
     rule="invoices", does=FILE_ASK, due=("1188.00", "EUR"))
case("inv-large-words", "invoice large", plain("inv-large-words", "ap5@acme-supplies.com", "Invoice 4410 (consulting)",
     "Dear Alex,\n\nfor the workshop we invoice a flat fee of two thousand euros (EUR 2,000.00), total due within 14 days.\n\nRegards"),
     rule="invoices", does=FILE_ASK, due=("2000.00", "EUR"))
case("inv-large-es", "invoice large", plain("inv-large-es", "billing@consultora.es", "Factura 2027/301",
     "Hola,\n\nadjuntamos la factura 2027/301.\nImporte total: 950,00 €\nVencimiento: 30 días.\n\nSaludos"),
     rule="invoices", does=FILE_ASK, due=("950.00", "EUR"))
case("inv-large-it", "invoice large", plain("inv-large-it", "billing@studio-roma.it", "Fattura 2027/12",
     "Buongiorno,\n\nTotale fattura: 1.830,00 €\nScadenza: 31/03/2027\n\nGrazie"),
     rule="invoices", does=FILE_ASK, due=("1830.00", "EUR"))

# ---------------------------------------------------------------- new bank details (fraud style)
case("fraud-4800-en", "invoice fraud", plain("fraud-4800-en", "Accounts ACME <accounts@acme-supplies.com>", "Invoice 2027-311 - updated payment information",
     f"Dear customer,\n\nplease note our new bank details with immediate effect. All future payments must be made to the account below.\n\nIBAN: {IBAN_LT_NEW}\nBeneficiary: ACME Supplies Ltd\n\nTotal due: 4,800.00 EUR\n\nKind regards,\nAccounts Department"),
     rule="invoices", does=FILE_ASK, due=("4800.00", "EUR"), change=True)
case("fraud-small-en", "invoice fraud", plain("fraud-small-en", "Jane Doe <jane@acme-supplies.com>", "Invoice 2027-312",
     f"Hi,\n\nsmall one this time: total due 120.00 EUR.\nPlease note that our bank account has changed, kindly use {IBAN_LT_NEW} from now on.\n\nThanks, Jane"),
     rule="invoices", does=FILE_ASK, due=("120.00", "EUR"), change=True)
case("fraud-de", "invoice fraud", plain("fraud-de", "Buchhaltung <billing@lieferant-nord.de>", "Rechnung 2027-45 / neue Bankverbindung",
     f"Sehr geehrte Kundin, sehr geehrter Kunde,\n\nbitte beachten Sie unsere neue Bankverbindung:\nIBAN {IBAN_PL}\n\nRechnungsbetrag: 180,00 €\n\nMit freundlichen Grüßen"),
     rule="invoices", does=FILE_ASK, due=("180.00", "EUR"), change=True)
case("fraud-fr", "invoice fraud", plain("fraud-fr", "Service comptable <billing@fournisseur-paris.fr>", "Facture 2027-90 : changement de coordonnées bancaires",
     f"Bonjour,\n\nnous vous informons de nos nouvelles coordonnées bancaires. Merci d'effectuer le virement sur le compte suivant :\nIBAN : {IBAN_PL}\n\nMontant TTC : 150,00 €\n\nCordialement"),
     rule="invoices", does=FILE_ASK, due=("150.00", "EUR"), change=True)
case("fraud-es", "invoice fraud", plain("fraud-es", "billing@proveedor-sur.es", "Factura 778 - nuevos datos bancarios",
     f"Buenos días,\n\nles informamos de que hemos cambiado de banco. Nuevos datos bancarios:\nIBAN {IBAN_PL}\n\nTotal: 190,00 €\n\nGracias"),
     rule="invoices", does=FILE_ASK, due=("190.00", "EUR"), change=True)
case("fraud-it", "invoice fraud", plain("fraud-it", "billing@fornitore-nord.it", "Fattura 55 - nuove coordinate bancarie",
     f"Gentile cliente,\n\nvi comunichiamo le nostre nuove coordinate bancarie: IBAN {IBAN_PL}.\n\nTotale da pagare: 160,00 €\n\nSaluti"),
     rule="invoices", does=FILE_ASK, due=("160.00", "EUR"), change=True)
case("fraud-silent-iban-swap", "invoice fraud", plain("fraud-silent-iban-swap", "ap6@acme-supplies.com", "Invoice 4500",
     f"Invoice 4500\nTotal due: 140.00 EUR\nIBAN: {IBAN_LT_NEW}"),
     rule="invoices", does=FILE_ASK, due=("140.00", "EUR"), changed=True,
     before=(plain("fraud-silent-iban-swap-0", "ap6@acme-supplies.com", "Invoice 4499", f"Invoice 4499\nTotal due: 130.00 EUR\nIBAN: {IBAN_DE_OLD}"),))
case("fraud-html", "invoice fraud", html_only("fraud-html", "ACME Finance <billing@acme-supplies.com>", "Important: Invoice 2027-330 and updated banking details",
     html(f"<p>Dear valued customer,</p><p><b>Our banking details have changed.</b> Please update your records and remit to:</p><p>IBAN: {IBAN_GB}<br>Account name: ACME Supplies</p><p>Amount due: <b>EUR 4,800.00</b></p>")),
     rule="invoices", does=FILE_ASK, due=("4800.00", "EUR"), change=True)
case("fraud-pdf", "invoice fraud", plain("fraud-pdf", "ap7@acme-supplies.com", "Invoice 4600 attached",
     "Hello,\n\nplease find invoice 4600 attached. Note our new bank account in the PDF.\n\nRegards",
     pdf=[["ACME Supplies Ltd", "INVOICE 4600", "Total due: 175.00 EUR", f"New bank details: IBAN {IBAN_LT_NEW}"]]),
     rule="invoices", does=FILE_ASK, due=("175.00", "EUR"), change=True)
case("fraud-ceo-unknown", "invoice fraud", plain("fraud-ceo-unknown", "Alex Example <alex.example.ceo@gmail.com>", "Urgent wire transfer",
     f"Hi,\n\nI need you to process a wire of 9,850.00 EUR today to our new supplier. Beneficiary IBAN {IBAN_PL}. Keep this confidential, I'm in meetings all day.\n\nAlex"),
     rule="", does=ASK, due=("9850.00", "EUR"))

# ---------------------------------------------------------------- other currency, no amount, amount only in the PDF
case("inv-usd-small", "invoice usd", plain("inv-usd-small", "Billing <billing@us-vendor.example>", "Invoice #10482",
     "Hi there,\nYour invoice #10482 is ready.\nAmount due: $180.00\nDue date: March 20, 2027\nThanks for your business!"),
     rule="invoices", does=FILE_ASK, due=("180.00", "USD"))
case("inv-usd-code", "invoice usd", plain("inv-usd-code", "ap8@acme-supplies.com", "Invoice 4700",
     "Invoice 4700\nTotal due: USD 90.00"),
     rule="invoices", does=FILE_ASK, due=("90.00", "USD"))
case("inv-gbp", "invoice usd", plain("inv-gbp", "Accounts <billing@uk-supplier.example>", "Invoice UK-221",
     "Invoice UK-221\nSubtotal: £100.00\nVAT (20%): £20.00\nTotal due: £120.00"),
     rule="invoices", does=FILE_ASK, due=("120.00", "GBP"))
case("inv-chf", "invoice usd", plain("inv-chf", "Rechnung <billing@schweiz-ag.ch>", "Rechnung 2027-19",
     "Grüezi\n\nRechnungsbetrag: CHF 150.00\nZahlbar innert 30 Tagen.\n\nFreundliche Grüsse"),
     rule="invoices", does=FILE_ASK, due=("150.00", "CHF"))
case("inv-no-amount", "invoice no amount", plain("inv-no-amount", "Peter Green <peter@acme-supplies.com>", "Invoice 4800",
     "Hi,\n\nplease find our invoice for last month attached.\n\nThanks,\nPeter"),
     rule="invoices", does=FILE_ASK, due=None)
case("inv-no-amount-de", "invoice no amount", plain("inv-no-amount-de", "billing@druckerei-sued.de", "Ihre Rechnung vom Februar",
     "Guten Tag,\n\nanbei Ihre Rechnung für Februar. Bei Fragen melden Sie sich gern.\n\nViele Grüße"),
     rule="invoices", does=FILE_ASK, due=None)
case("inv-no-amount-portal", "invoice no amount", html_only("inv-no-amount-portal", "ACME Portal <billing@acme-supplies.com>", "New invoice available in your portal",
     html("<p>A new invoice is available. <a href='https://portal.acme-supplies.com/invoices'>View invoice</a></p>")),
     rule="invoices", does=FILE_ASK, due=None)
case("inv-ambiguous-lines", "invoice no amount", plain("inv-ambiguous-lines", "ap9@acme-supplies.com", "Invoice 4801",
     "Invoice 4801\nItem A 50.00 EUR\nItem B 70.00 EUR\nPlease pay soon."),
     rule="invoices", does=FILE_ASK)
case("inv-pdf-small", "invoice pdf", plain("inv-pdf-small", "Lena Fox <lena@acme-supplies.com>", "Invoice 4900",
     "Hello,\n\nplease find invoice 4900 attached.\n\nBest regards\nLena",
     pdf=[["ACME Supplies Ltd", "INVOICE 4900", "Date: 01.03.2027", "Cables 10 x 9.50 EUR", "Total due: 95.00 EUR"]]),
     rule="invoices", does=REPLY_FILE, due=("95.00", "EUR"))
case("inv-pdf-large", "invoice pdf", plain("inv-pdf-large", "ap10@acme-supplies.com", "Invoice 4901",
     "Hello,\n\nattached you find invoice 4901.\n\nRegards",
     pdf=[["ACME Supplies Ltd", "INVOICE 4901", "Laptop 1 x 1,490.00 EUR", "Total due: 1,490.00 EUR"]]),
     rule="invoices", does=FILE_ASK, due=("1490.00", "EUR"))
case("inv-pdf-de", "invoice pdf", plain("inv-pdf-de", "Rechnungen <billing@buero-mueller.de>", "Rechnung RE-2027-0301",
     "Sehr geehrte Damen und Herren,\n\nanbei unsere Rechnung als PDF.\n\nMit freundlichen Grüßen",
     pdf=[["Büro Müller GmbH", "Rechnung RE-2027-0301", "Nettobetrag 100,00 EUR", "USt 19% 19,00 EUR", "Rechnungsbetrag 119,00 EUR", "Zahlbar bis 15.03.2027"]], pdf_name="RE-2027-0301.pdf"),
     rule="invoices", does=REPLY_FILE, due=("119.00", "EUR"))
case("inv-pdf-fr", "invoice pdf", plain("inv-pdf-fr", "billing@imprimerie-nantes.fr", "Votre facture FA-1203",
     "Bonjour,\n\nvotre facture est jointe à ce message.\n\nCordialement",
     pdf=[["Imprimerie de Nantes", "Facture FA-1203", "Total HT 500,00 EUR", "TVA 20 % 100,00 EUR", "Total TTC 600,00 EUR"]]),
     rule="invoices", does=FILE_ASK, due=("600.00", "EUR"))
case("inv-pdf-usd", "invoice pdf", plain("inv-pdf-usd", "ap11@acme-supplies.com", "Invoice 4902",
     "Invoice attached.",
     pdf=[["ACME Supplies Inc.", "INVOICE 4902", "Amount due: USD 150.00"]]),
     rule="invoices", does=FILE_ASK, due=("150.00", "USD"))
case("inv-pdf-alt", "invoice pdf", alternative("inv-pdf-alt", "ACME Billing <billing@acme-supplies.com>", "Invoice 4903",
     "Dear customer,\nyour invoice 4903 is attached.", html("<p>Dear customer,<br>your invoice <b>4903</b> is attached.</p>"),
     pdf=[["INVOICE 4903", "Service March", "Total: 49.00 EUR"]]),
     rule="invoices", does=REPLY_FILE, due=("49.00", "EUR"))

AUTOGEN = {"Auto-Submitted": "auto-generated", "X-Mailer": "BillingSystem 4.2"}
case("inv-autogen-small", "invoice machine-sent", plain("inv-autogen-small", "ACME Billing <billing@acme-invoicing.example>", "Invoice 2027-0415",
     "This invoice was generated automatically.\n\nInvoice 2027-0415\nTotal due: 49.00 EUR\nDue date: 15 March 2027", headers=AUTOGEN,
     pdf=[["INVOICE 2027-0415", "Total due: 49.00 EUR"]]),
     rule="invoices", does=FILE, due=("49.00", "EUR"), auto="auto_reply")
case("inv-autogen-large", "invoice machine-sent", plain("inv-autogen-large", "Billing <billing@telecom.example>", "Your invoice for February",
     "Your invoice for February is attached.\nTotal due: 1,480.00 EUR\nIt will be collected by direct debit.", headers=AUTOGEN),
     rule="invoices", does=FILE, due=("1480.00", "EUR"), auto="auto_reply")
case("inv-autogen-fraud", "invoice machine-sent", plain("inv-autogen-fraud", "ACME Billing <billing@acme-supplies.com>", "Invoice 2027-0416: new bank details",
     f"This invoice was generated automatically.\n\nPlease note our new bank details: IBAN {IBAN_LT_NEW}\nTotal due: 4,800.00 EUR", headers=AUTOGEN),
     rule="invoices", does=FILE_ASK, due=("4800.00", "EUR"), change=True, auto="auto_reply")
case("inv-autogen-html-de", "invoice machine-sent", html_only("inv-autogen-html-de", "Rechnungsservice <billing@stadtwerke.example>", "Ihre Rechnung 03/2027",
     html("<p>Diese Nachricht wurde automatisch erstellt.</p><p>Rechnungsbetrag: <b>64,20 EUR</b></p>"), headers=AUTOGEN),
     rule="invoices", does=FILE, due=("64.20", "EUR"), auto="auto_reply")

case("inv-pdf-repeat", "invoice pdf", plain("inv-pdf-repeat", "ap14@acme-supplies.com", "Invoice 4904",
     "Hello,\n\ninvoice 4904 is attached, amount 95.00 EUR.\n\nRegards",
     pdf=[["INVOICE 4904", "Amount 95.00 EUR"]]),
     rule="invoices", does=REPLY_FILE, due=("95.00", "EUR"))

# ---------------------------------------------------------------- invoices from suppliers the rule does not name
case("inv-unknown-supplier", "invoice unknown sender", plain("inv-unknown-supplier", "Frank Stone <frank@stone-consulting.example>", "Invoice 17",
     "Hi Alex,\n\nhere is my invoice 17 for the February work.\nTotal due: 1,200.00 EUR\n\nThanks!\nFrank"),
     rule="", does=ASK, due=("1200.00", "EUR"))
case("inv-unknown-de", "invoice unknown sender", plain("inv-unknown-de", "Hausverwaltung Schmidt <verwaltung@hv-schmidt.de>", "Rechnung Nebenkosten 2026",
     "Sehr geehrter Herr Example,\n\nanbei die Nebenkostenabrechnung 2026. Nachzahlung: 312,40 €\n\nMit freundlichen Grüßen"),
     rule="", does=ASK, due=("312.40", "EUR"))
case("inv-unknown-call", "invoice unknown sender", plain("inv-unknown-call", "Accounts <accounts@cleaning-crew.example>", "Invoice 2027-15",
     "Hello,\n\nplease find invoice 2027-15 for the office cleaning.\nTotal due: 380.00 EUR\n\nIf you have any questions, please call us on +44 20 7946 0000.\n\nCleaning Crew"),
     rule="", does=ASK, due=("380.00", "EUR"))
case("inv-acme-no-keyword", "invoice unknown sender", plain("inv-acme-no-keyword", "ap12@acme-supplies.com", "Statement March 2027",
     "Your statement for March.\nBalance: 45.00 EUR"),
     rule="", does=ASK, due=("45.00", "EUR"))

# ---------------------------------------------------------------- quotes and counter-offers (the sales rule needs a model)
case("quote-request", "quote", plain("quote-request", "Dana Reed <dana@client-co.example>", "Quote for the consulting package",
     "Hi,\n\ncould you send us a quote for the consulting package (3 days, on site)?\n\nThanks,\nDana"),
     rule="sales", does=ASK, offer=None)
case("quote-counter-en", "quote", plain("quote-counter-en", "Dana Reed <dana@client-co.example>", "Re: Quote for the consulting package",
     "Hi,\n\nthanks for the quote. 500 EUR a day is above our budget; we could do 420 EUR per day.\n\nBest,\nDana", reply_to_mid="<quote-request@corpus.test>"),
     rule="sales", does=ASK, offer=420)
case("quote-counter-de", "quote", plain("quote-counter-de", "Jörg Berger <j.berger@kunde-gmbh.de>", "AW: Angebot Beratungspaket (offer)",
     "Hallo Herr Example,\n\ndanke für Ihr Angebot. Wir können 450 Euro pro Tag anbieten.\n\nViele Grüße\nJörg Berger"),
     rule="sales", does=ASK, offer=450)
case("quote-counter-fr", "quote", plain("quote-counter-fr", "Sophie Laurent <s.laurent@client.fr>", "RE: Proposition tarifaire (price)",
     "Bonjour,\n\nmerci pour votre proposition. Nous pourrions aller jusqu'à 430 euros par jour.\n\nCordialement,\nSophie"),
     rule="sales", does=ASK, offer=430)
case("quote-refusal", "quote", plain("quote-refusal", "Ben Carter <ben@buyer.example>", "Re: price for the package",
     "Hi,\n\nwe can't do 500 EUR, sorry. 380 EUR is the most we can pay.\n\nBen"),
     rule="sales", does=ASK, offer=380)
case("quote-accept", "quote", plain("quote-accept", "Mia Park <mia@startup.example>", "Re: Proposal consulting",
     "Hi Alex,\n\nthe proposal looks good, we accept 500 EUR per day. When can you start?\n\nMia"),
     rule="sales", does=ASK)
case("quote-vendor-offer", "quote", alternative("quote-vendor-offer", "Sales Team <sales@printer-vendor.example>", "Your quote Q-2027-88",
     "Dear Alex,\n\nthank you for your interest. Our offer: 3 printers at 1,150.00 EUR each, total 3,450.00 EUR excl. VAT. Valid for 30 days.\n\nSales Team",
     html("<p>Dear Alex,</p><p>thank you for your interest. Our offer: 3 printers at 1,150.00 EUR each, total <b>3,450.00 EUR</b> excl. VAT. Valid for 30 days.</p>")),
     rule="sales", does=ASK)
case("quote-call", "quote", plain("quote-call", "Leo Grant <leo@agency.example>", "Price for a 2-day workshop",
     "Hello,\n\nwhat would be your price for a 2-day workshop in April? Happy to jump on a call if easier.\n\nLeo"),
     rule="sales", does=ASK, offer=None, due=None)
case("quote-es", "quote", plain("quote-es", "Lucía Gómez <lucia@cliente.es>", "Solicitud de oferta (quote)",
     "Hola,\n\n¿nos podría enviar una oferta para el paquete de consultoría? Nuestro presupuesto es de 400 euros por día.\n\nSaludos, Lucía"),
     rule="sales", does=ASK)
case("quote-it", "quote", plain("quote-it", "Marco Bianchi <marco@cliente.it>", "Re: offerta consulenza (offer)",
     "Buongiorno,\n\npossiamo offrire 440 euro al giorno.\n\nCordiali saluti\nMarco"),
     rule="sales", does=ASK, offer=440)

# ---------------------------------------------------------------- out-of-office and other auto-replies
case("ooo-en-header", "out of office", plain("ooo-en-header", "Xavier Hill <x.hill@acme-supplies.com>", "Automatic reply: Invoice INV-2027-0101",
     "I am out of the office until 8 March with limited access to email. For urgent matters please contact office@acme-supplies.com.",
     headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}),
     rule="", does=NOTHING, auto="out_of_office")
case("ooo-de", "out of office", plain("ooo-de", "Klaus Weber <k.weber@partner.de>", "Abwesenheitsnotiz: Meeting next week",
     "Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich 12.03.2027 nicht im Büro und habe keinen Zugriff auf meine E-Mails. In dringenden Fällen wenden Sie sich bitte an meine Kollegin."),
     rule="meetings", does=NOTHING, auto="out_of_office")
case("ooo-fr", "out of office", plain("ooo-fr", "Julie Petit <julie@agence.fr>", "Réponse automatique : appointment",
     "Bonjour, je suis absente jusqu'au 10 mars. Je vous répondrai à mon retour.", headers={"Auto-Submitted": "auto-replied"}),
     rule="meetings", does=NOTHING, auto="out_of_office")
case("ooo-es", "out of office", plain("ooo-es", "Pablo Ruiz <pablo@empresa.es>", "Respuesta automática: Fuera de la oficina",
     "Estaré fuera de la oficina hasta el 15 de marzo. Para asuntos urgentes contacte con info@empresa.es."),
     rule="", does=NOTHING, auto="out_of_office")
case("ooo-it", "out of office", plain("ooo-it", "Giulia Conti <giulia@azienda.it>", "Fuori ufficio",
     "Sono fuori ufficio fino al 9 marzo con accesso limitato alla posta. Risponderò al mio rientro."),
     rule="", does=NOTHING, auto="out_of_office")
case("ooo-no-header-en", "out of office", plain("ooo-no-header-en", "Sam Lee <sam@client-co.example>", "Re: Quote for the consulting package",
     "Hello, I'm currently on annual leave and will be back on 14 March. I will reply to your email on my return.", reply_to_mid="<quote-request@corpus.test>"),
     rule="sales", does=NOTHING, auto="out_of_office")
case("ooo-exchange-alt", "out of office", alternative("ooo-exchange-alt", "Olivia Brown <olivia@bigcorp.example>", "Automatic reply: catch up",
     "Thank you for your email. I am currently out of the office until Monday, 8 March.",
     html("<p>Thank you for your email. I am currently out of the office until Monday, 8 March.</p>"),
     headers={"X-MS-Exchange-Generated-Message-Source": "Mailbox Rules Agent", "Auto-Submitted": "auto-generated"}),
     rule="meetings", does=NOTHING, auto="out_of_office")
case("autoreply-ticket", "out of office", plain("autoreply-ticket", "Support <support@helpdesk.example>", "[Ticket #4471] We have received your request",
     "This is an automatic response. We have received your request and will get back to you within 24 hours. Please do not reply to this email.",
     headers={"Auto-Submitted": "auto-replied"}),
     rule="", does=NOTHING, auto="auto_reply")
case("ooo-acme-billing", "out of office", plain("ooo-acme-billing", "ACME Billing <billing@acme-supplies.com>", "Out of Office: Re: Invoice 5531",
     "Our billing team is out of the office until 4 March. Your message will be handled on our return."),
     rule="", does=NOTHING, auto="out_of_office")
case("bounce-dsn", "out of office", bounce("bounce-dsn", "Undelivered Mail Returned to Sender", "<some-reply@deputy.localhost>", "old.contact@gone.example"),
     rule="", does=NOTHING, auto="bounce")

# ---------------------------------------------------------------- calendar invites
case("invite-google", "calendar invite", invite("invite-google", "Rachel Green <rachel@partner-co.example>", "Invitation: Project kickoff call @ Wed 10 Mar 2027 3pm - 4pm (CET)",
     "Rachel Green has invited you to a meeting.\nProject kickoff call\nWed 10 Mar 2027 3pm - 4pm (CET)\nJoining info: meet.partner-co.example/abc",
     summary="Project kickoff call"),
     rule="meetings", does=REPLY, invite="REQUEST")
case("invite-outlook-de", "calendar invite", invite("invite-outlook-de", "Stefan Koch <s.koch@firma-ag.de>", "Einladung: Abstimmung Q2",
     "Hallo zusammen,\n\nanbei die Einladung zur Abstimmung Q2.\n\nGruß Stefan", summary="Abstimmung Q2"),
     rule="", does=ASK, invite="REQUEST")
case("invite-cancel", "calendar invite", invite("invite-cancel", "Rachel Green <rachel.g@partner-co.example>", "Canceled event: Weekly call @ Fri 12 Mar 2027",
     "This event has been canceled and removed from your calendar.", method="CANCEL", summary="Weekly call"),
     rule="", does=ASK, invite="CANCEL")
case("invite-fr", "calendar invite", invite("invite-fr", "Antoine Roux <antoine@societe.fr>", "Invitation : Réunion de lancement",
     "Bonjour,\n\nje vous invite à la réunion de lancement le 10 mars.\n\nAntoine", summary="Réunion de lancement"),
     rule="", does=ASK, invite="REQUEST")
case("invite-accepted", "calendar invite", invite("invite-accepted", "Rachel Green <rachel.h@partner-co.example>", "Accepted: Budget meeting @ Thu 11 Mar 2027",
     "Rachel Green has accepted this invitation.", method="REPLY", summary="Budget meeting"),
     rule="", does=ASK, invite="REPLY")
case("invite-calendly", "calendar invite", invite("invite-calendly", "Calendly <notifications@calendly.example>", "New Event: Alex Example - 30 Minute Meeting",
     "A new event has been scheduled.\nEvent Type: 30 Minute Meeting\nInvitee: Tom Jones", summary="30 Minute Meeting"),
     rule="meetings", does=NOTHING, invite="REQUEST")
case("invite-es", "calendar invite", invite("invite-es", "Elena Díaz <elena@empresa.es>", "Invitación: Reunión de seguimiento",
     "Hola,\n\nte envío la invitación para la reunión de seguimiento.\n\nElena", summary="Reunión de seguimiento"),
     rule="", does=ASK, invite="REQUEST")
case("invite-updated", "calendar invite", invite("invite-updated", "Mark Stone <mark@vendor-x.example>", "Updated invitation: Demo call @ Tue 16 Mar 2027",
     "This event has been changed.\nDemo call\nTue 16 Mar 2027 10am - 11am", summary="Demo call", start="20270316T090000Z"),
     rule="meetings", does=REPLY, invite="REQUEST")

# ---------------------------------------------------------------- meeting requests
case("meet-en", "meeting request", plain("meet-en", "Hannah Moore <hannah@client-co.example>", "Meeting next week?",
     "Hi Alex,\n\ncould we have a meeting next week to go through the roadmap? Tuesday or Wednesday afternoon would suit me.\n\nBest,\nHannah"),
     rule="meetings", does=REPLY)
case("meet-call-html", "meeting request", html_only("meet-call-html", "Victor Hugo <victor@startup.example>", "Quick call?",
     html("<p>Hey Alex,</p><p>do you have 20 minutes for a quick call this week?</p><p>Victor</p>")),
     rule="meetings", does=REPLY)
case("meet-catch-up", "meeting request", alternative("meet-catch-up", "Ivy Chen <ivy@old-friend.example>", "Long time!",
     "Hi Alex, it's been ages - shall we catch up over coffee in March?\nIvy", html("<p>Hi Alex, it's been ages - shall we catch up over coffee in March?<br>Ivy</p>")),
     rule="meetings", does=REPLY)
case("meet-appointment", "meeting request", plain("meet-appointment", "Dr. Anna Schmidt <a.schmidt@praxis.example>", "Your appointment",
     "Dear Mr Example,\n\nwe would like to schedule your next appointment. Please let us know which day suits you.\n\nPraxis Dr. Schmidt"),
     rule="meetings", does=REPLY)
case("meet-de", "meeting request", plain("meet-de", "Lukas Wagner <lukas@partner.de>", "Termin für ein Gespräch",
     "Hallo Alex,\n\nhättest du nächste Woche Zeit für ein kurzes Gespräch? Dienstag oder Donnerstag würde mir passen.\n\nViele Grüße\nLukas"),
     rule="", does=ASK)
case("meet-fr", "meeting request", plain("meet-fr", "Camille Bernard <camille@client.fr>", "Rendez-vous",
     "Bonjour Alex,\n\nseriez-vous disponible pour un rendez-vous la semaine prochaine ?\n\nCamille"),
     rule="", does=ASK)
case("meet-it", "meeting request", plain("meet-it", "Luca Ferri <luca@cliente.it>", "Incontro / meeting",
     "Ciao Alex,\n\npossiamo fissare un meeting la prossima settimana?\n\nLuca"),
     rule="meetings", does=REPLY)
case("meet-reply-in-thread", "meeting request", plain("meet-reply-in-thread", "Hannah Moore <hannah@client-co.example>", "Re: Meeting next week?",
     "Great, Wednesday 3pm works for me. See you then!\n\nHannah", reply_to_mid="<meet-en@corpus.test>"),
     rule="meetings", does=ASK)
case("meet-proposes-time", "meeting request", plain("meet-proposes-time", "Owen Price <owen@supplier-y.example>", "Call on Thursday 10:00?",
     "Hi Alex,\n\nwould Thursday at 10:00 work for a call about the new contract?\n\nOwen"),
     rule="meetings", does=REPLY)
case("meet-cc-only", "meeting request", plain("meet-cc-only", "Grace Hall <grace@client-co.example>", "Meeting with the board",
     "Hi Tom,\n\nlet's schedule the meeting with the board for next month.\n\nGrace", to="tom@client-co.example"),
     rule="meetings", does=NOTHING)

# ---------------------------------------------------------------- newsletters and notifications
LIST = {"List-Id": "<weekly.news.example.com>", "List-Unsubscribe": "<https://news.example.com/u/1>", "Precedence": "bulk"}
case("news-weekly", "newsletter", alternative("news-weekly", "Example Weekly <newsletter@example-weekly.com>", "This week: 10 tips for invoices",
     "This week's issue: 10 tips for getting your invoices paid on time.\nRead more at https://example-weekly.com/10",
     html("<h1>This week</h1><p>10 tips for getting your invoices paid on time.</p>"), headers=LIST),
     rule="newsletters", does=FILE)
case("news-mailchimp", "newsletter", html_only("news-mailchimp", "Shop News <shop@mailchimpapp.example>", "Spring sale: 20% off",
     html("<p>Spring sale! 20% off everything this weekend. Prices from 9.99 EUR.</p>"), headers=LIST),
     rule="newsletters", does=FILE)
case("news-de", "newsletter", html_only("news-de", "Fachmagazin <newsletter@fachmagazin.de>", "Ihr Newsletter März",
     html("<p>Die Themen im März: neue Rechnungsregeln, E-Rechnung ab 2027.</p>"), headers=LIST),
     rule="newsletters", does=FILE)
case("news-fr", "newsletter", html_only("news-fr", "La Lettre <newsletter@lalettre.fr>", "La lettre du lundi",
     html("<p>Cette semaine : la facture électronique, mode d'emploi.</p>"), headers=LIST),
     rule="newsletters", does=FILE)
case("news-domain", "newsletter", alternative("news-domain", "Tech Digest <digest@news.techdigest.example>", "Your daily digest",
     "Top stories today: ...", html("<p>Top stories today</p>"), headers=LIST),
     rule="newsletters", does=FILE)
case("news-meeting-word", "newsletter", html_only("news-meeting-word", "Community <hello@community.example>", "Join our monthly community call",
     html("<p>Join our monthly community call on 12 March. Register now!</p>"), headers=LIST),
     rule="meetings", does=NOTHING)
case("news-invoice-word-billing", "newsletter", html_only("news-invoice-word-billing", "Billing Tips <billing@saas-news.example>", "New: pay your bill with PayPal",
     html("<p>You can now pay your bill with PayPal. No action needed.</p>"), headers=LIST),
     rule="invoices", does=FILE)
case("news-noreply-notification", "newsletter", plain("news-noreply-notification", "GitHub <noreply@github.example>", "[repo] New issue opened",
     "A new issue was opened in your repository.", headers={"List-Id": "<repo.github.example>", "List-Unsubscribe": "<mailto:unsub@github.example>"}),
     rule="", does=NOTHING)
case("news-substack", "newsletter", html_only("news-substack", "Writer <writer@substack.example>", "New post: pricing your services",
     html("<p>New post: how to price your consulting services (quote templates inside).</p>"), headers=LIST),
     rule="", does=NOTHING)
case("news-it", "newsletter", html_only("news-it", "Notizie <newsletter@notizie.it>", "Le notizie della settimana",
     html("<p>Le notizie della settimana.</p>"), headers=LIST),
     rule="newsletters", does=FILE)

# ---------------------------------------------------------------- receipts with attachments
RECEIPT_PDF = [["RECEIPT", "Amount paid: 42.00 EUR", "Paid with Visa **** 4242"]]
case("receipt-en", "receipt", plain("receipt-en", "Store <orders@store.example>", "Your receipt from Store",
     "Thank you for your purchase. Your receipt is attached.\nAmount paid: 42.00 EUR", pdf=RECEIPT_PDF, pdf_name="receipt.pdf"),
     rule="receipts", does=FORWARD_FILE, due=("42.00", "EUR"))
case("receipt-de", "receipt", plain("receipt-de", "Taxi Berlin <quittung@taxi-berlin.de>", "Ihre Quittung",
     "Vielen Dank für Ihre Fahrt. Anbei Ihre Quittung über 23,50 €.", pdf=[["Quittung", "Betrag: 23,50 EUR"]], pdf_name="quittung.pdf"),
     rule="receipts", does=FORWARD_FILE)
case("receipt-png", "receipt", plain("receipt-png", "Coffee Bar <hello@coffee.example>", "Receipt #3321",
     "Here is your receipt.", attach=("receipt.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")),
     rule="receipts", does=FORWARD_FILE)
case("receipt-html", "receipt", alternative("receipt-html", "Airline <receipts@airline.example>", "Receipt for your booking ABC123",
     "Receipt for booking ABC123. Total paid: 189.00 EUR", html("<p>Receipt for booking <b>ABC123</b>. Total paid: 189.00 EUR</p>"),
     pdf=[["E-TICKET RECEIPT", "Booking ABC123", "Total paid: 189.00 EUR"]]),
     rule="receipts", does=FORWARD_FILE)
case("receipt-no-attachment", "receipt", plain("receipt-no-attachment", "Shop <orders@shop.example>", "Your receipt",
     "Thanks for your order! Total paid: 12.00 EUR"),
     rule="", does=ASK)
case("receipt-fr", "receipt", plain("receipt-fr", "Boutique <contact@boutique.fr>", "Votre reçu",
     "Merci pour votre achat. Votre reçu est en pièce jointe.", pdf=[["Reçu", "Montant payé : 35,00 EUR"]], pdf_name="recu.pdf"),
     rule="", does=ASK)
case("receipt-es", "receipt", plain("receipt-es", "Tienda <ventas@tienda.es>", "Su recibo de compra",
     "Gracias por su compra. Adjuntamos el recibo.", pdf=[["Recibo", "Total pagado: 19,90 EUR"]], pdf_name="recibo.pdf"),
     rule="", does=ASK)
case("receipt-billing-paid", "receipt", plain("receipt-billing-paid", "Billing <billing@cloud-host.example>", "Payment receipt for invoice 2027-03",
     "Thank you! We received your payment for invoice 2027-03.\nAmount paid: 19.00 EUR\nNo further action is needed.", pdf=[["RECEIPT", "Invoice 2027-03", "Amount paid: 19.00 EUR"]], pdf_name="receipt.pdf"),
     rule="receipts", does=FORWARD_FILE, due=("19.00", "EUR"))
case("receipt-uber", "receipt", html_only("receipt-uber", "Rides <noreply@rides.example>", "Your Tuesday trip receipt",
     html("<p>Thanks for riding. Total: 14.20 EUR</p>")),
     rule="", does=NOTHING)

# ---------------------------------------------------------------- forwarded chains
case("fwd-invoice-colleague", "forwarded", forwarded("fwd-invoice-colleague", "Bob Miller <bob@example.com>", "Fwd: Invoice 2027-501",
     "Alex, can you take care of this one?", orig_from="ACME Billing <billing@acme-supplies.com>", orig_subject="Invoice 2027-501",
     orig_text="Total due: 450.00 EUR\nIBAN DE89 3704 0044 0532 0130 00"),
     rule="", does=ASK)
case("fwd-fraud-chain", "forwarded", forwarded("fwd-fraud-chain", "Billing Desk <billing@acme-supplies.com>", "Fwd: Invoice 2027-502 - new account",
     f"As discussed, please use the new account below for this and future invoices. Total due: 3,900.00 EUR. IBAN {IBAN_LT_NEW}.",
     orig_from="Accounts <accounts@acme-supplies.com>", orig_subject="Invoice 2027-502", orig_text=f"Total due: 3,900.00 EUR\nIBAN {IBAN_DE_OLD}"),
     rule="invoices", does=FILE_ASK, due=("3900.00", "EUR"), change=True)
case("fwd-meeting", "forwarded", forwarded("fwd-meeting", "Eva Long <eva@client-co.example>", "Fwd: meeting notes",
     "FYI, notes from yesterday's meeting below.", orig_from="Tom <tom@client-co.example>", orig_subject="meeting notes", orig_text="1. Budget approved\n2. Next steps"),
     rule="meetings", does=ASK)
case("fwd-quote-de", "forwarded", forwarded("fwd-quote-de", "Petra Lang <petra@kunde-gmbh.de>", "WG: Angebot (quote)",
     "Hallo Alex, hier das Angebot vom Wettbewerber zur Info.", orig_from="Vertrieb <v@wettbewerber.de>", orig_subject="Angebot", orig_text="Tagessatz: 390,00 EUR"),
     rule="sales", does=ASK)
case("fwd-receipt", "forwarded", plain("fwd-receipt", "Bob Miller <bob@example.com>", "Fwd: Your receipt from Hotel",
     "---------- Forwarded message ---------\nFrom: Hotel <frontdesk@hotel.example>\nSubject: Your receipt from Hotel\n\nThank you for staying with us. Your receipt is attached.",
     pdf=[["Hotel Receipt", "Total paid: 240.00 EUR"]], pdf_name="hotel-receipt.pdf"),
     rule="receipts", does=FORWARD_FILE)
case("fwd-outlook-invoice", "forwarded", plain("fwd-outlook-invoice", "ACME AP <ap13@acme-supplies.com>", "FW: Invoice 4999",
     "Resending, see below.\n\n-----Original Message-----\nFrom: ACME AP <ap13@acme-supplies.com>\nSent: Monday, February 1, 2027 9:00 AM\nSubject: Invoice 4999\n\nTotal due: 99.00 EUR"),
     rule="invoices", does=FILE_ASK)

# ---------------------------------------------------------------- everything else a person writes
case("other-partnership", "other", plain("other-partnership", "Carol King <carol@newco.example>", "Partnership?",
     "Hello, would you be open to a partnership next quarter?"),
     rule="", does=ASK)
case("other-support-de", "other", plain("other-support-de", "Kunde <kunde@web.de>", "Frage zu Ihrem Produkt",
     "Guten Tag, funktioniert Ihr Produkt auch unter Windows 11? Danke!"),
     rule="", does=ASK)
case("other-opening-hours-mail", "other", plain("other-opening-hours-mail", "Nick <nick@visitor.example>", "Opening hours",
     "Hi, what are your opening hours on Saturday?"),
     rule="", does=ASK)
case("other-thanks", "other", plain("other-thanks", "Hannah Moore <hannah.m@client-co.example>", "Thanks!",
     "Thanks for yesterday, it was great to meet you."),
     rule="", does=ASK)
case("other-job-fr", "other", html_only("other-job-fr", "Recrutement <jobs@cabinet.fr>", "Candidature spontanée",
     html("<p>Bonjour, je vous adresse ma candidature spontanée pour un poste de consultant.</p>")),
     rule="", does=ASK)
case("other-phishing-link", "other", html_only("other-phishing-link", "Security Team <security@paypa1.example>", "Action required: verify your account",
     html("<p>Your account is on hold. <a href='https://paypa1.example/verify'>Verify now</a> to avoid suspension.</p>")),
     rule="", does=ASK)
case("other-cc-invoice", "other", plain("other-cc-invoice", "Sara Kim <sara@acme-supplies.com>", "Invoice 5000",
     "Hi Tom,\n\nhere is invoice 5000. Total due: 80.00 EUR.\n\nSara", to="tom@customer.example"),
     rule="invoices", does=FILE)
case("other-webhook-lead", "other", plain("other-webhook-lead", "Web Form <form@site.example>", "New lead: Jane Roe",
     "Name: Jane Roe\nEmail: jane@roe.example\nMessage: Please contact me."),
     rule="", does=ASK)
# fmt: on

# Out-of-office by text only, price questions that mention a call, forwards of meetings.
from tests.corpus.messages_judgment import MORE  # noqa: E402

CASES += MORE
