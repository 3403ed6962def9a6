# ruff: noqa: E501  (messages are data: one case per few lines, as written)
"""More of the outcome corpus, around three things a careful deputy must tell apart:

- an out-of-office or auto-reply told only by its subject and text (no RFC 3834
  header, often a "Re:" subject in a thread Deputy wrote in), in several languages,
  and a person who mentions being away but still asks something (not automatic);
- a price question that mentions a call or a meeting in passing (the sales rule
  governs, not the meetings acknowledgement);
- a forward or an "FYI" of meeting notes (not a meeting request: the owner is asked),
  next to a real meeting request in a reply thread (acknowledged as before).

Appended to ``tests.corpus.messages.CASES``; the same expectations and checks apply.
"""

from __future__ import annotations

from typing import Any

from tests.corpus.build import Case, Effect, alternative, forwarded, html_only, plain

NOTHING: frozenset[Effect] = frozenset()
ASK = frozenset({"ask"})
REPLY = frozenset({"reply"})

MORE: list[Case] = []


def case(name: str, category: str, raw: bytes, *, rule: str, does: frozenset[Effect], **facts: Any) -> None:
    MORE.append(Case(name, category, raw, rule, does, facts))


def html(body: str) -> str:
    return f"<html><head><meta charset='utf-8'></head><body>{body}<br><div>--<br>Sent from my phone</div></body></html>"


Q = "<quote-thread@corpus.test>"

# fmt: off
# ---------------------------------------------------------------- out-of-office by text only
case("ooo-text-de", "out of office", plain("ooo-text-de", "Jonas Richter <j.richter@kunde.de>", "Re: Angebot Beratung (quote)",
     "Vielen Dank für Ihre Nachricht.\n\nIch bin bis zum 15. März im Urlaub und habe keinen Zugriff auf meine E-Mails. Ab dem 16. März bin ich wieder im Büro.\n\nMit freundlichen Grüßen\nJonas Richter", reply_to_mid=Q),
     rule="sales", does=NOTHING, auto="out_of_office")
case("ooo-text-fr-html", "out of office", html_only("ooo-text-fr-html", "Camille Durand <camille@client.fr>", "RE: Proposition tarifaire (price)",
     html("<p>Bonjour,</p><p>je suis actuellement absente du bureau jusqu'au 12 mars. Je prendrai connaissance de votre message à mon retour.</p><p>Cordialement,<br>Camille</p>")),
     rule="sales", does=NOTHING, auto="out_of_office")
case("ooo-text-es", "out of office", plain("ooo-text-es", "Javier Morales <javier@cliente.es>", "Re: price for the package",
     "Gracias por su correo.\n\nEstaré de vacaciones hasta el 20 de marzo con acceso limitado al correo. Le responderé a mi regreso.\n\nUn saludo,\nJavier", reply_to_mid=Q),
     rule="sales", does=NOTHING, auto="out_of_office")
case("ooo-text-it", "out of office", plain("ooo-text-it", "Luca Ferrari <luca@cliente.it>", "Re: offerta consulenza (offer)",
     "Grazie per il messaggio. Sarò in ferie fino al 14 marzo e risponderò al mio rientro.\n\nLuca Ferrari", reply_to_mid=Q),
     rule="sales", does=NOTHING, auto="out_of_office")
case("ooo-text-nl", "out of office", plain("ooo-text-nl", "Sanne de Vries <sanne@klant.nl>", "Re: offerte workshop (quote)",
     "Bedankt voor uw bericht. Ik ben afwezig tot en met 10 maart en heb beperkt toegang tot mijn e-mail. Voor dringende zaken kunt u contact opnemen met info@klant.nl.", reply_to_mid=Q),
     rule="sales", does=NOTHING, auto="out_of_office")
case("ooo-text-en-call", "out of office", alternative("ooo-text-en-call", "Ryan Cole <ryan@partner.example>", "Re: call next week",
     "Thanks for your email. I'm out of the office on business travel until Monday 8 March and will respond as soon as possible on my return.",
     html("<p>Thanks for your email. I'm out of the office on business travel until Monday 8 March and will respond as soon as possible on my return.</p>")),
     rule="meetings", does=NOTHING, auto="out_of_office")
case("ooo-subject-nl", "out of office", plain("ooo-subject-nl", "Pieter Bakker <pieter@bedrijf.nl>", "Afwezig: Re: meeting volgende week",
     "Ik ben er niet tot 11 maart."),
     rule="meetings", does=NOTHING, auto="out_of_office")
case("autoreply-text-de", "out of office", plain("autoreply-text-de", "Service <service@anbieter.de>", "Re: Ihre Anfrage (quote)",
     "Dies ist eine automatisch generierte Antwort. Ihre Anfrage ist bei uns eingegangen und wird in Kürze bearbeitet.", reply_to_mid=Q),
     rule="sales", does=NOTHING, auto="auto_reply")
case("autoreply-text-fr-html", "out of office", html_only("autoreply-text-fr-html", "Contact <contact@agence-web.fr>", "Re: Demande de prix (price)",
     html("<p>Ceci est une réponse automatique. Nous avons bien reçu votre message et vous répondrons sous 48 heures.</p>")),
     rule="sales", does=NOTHING, auto="auto_reply")
case("away-but-asks-en", "out of office", plain("away-but-asks-en", "Nora Fischer <nora@client-co.example>", "Re: Quote for the consulting package",
     "Hi,\n\nI'm on holiday until 14 March, but could you send me the final quote before then? I'd like to sign it on my return.\n\nThanks, Nora", reply_to_mid=Q),
     rule="sales", does=ASK, auto="", offer=None)
case("away-but-asks-de", "out of office", plain("away-but-asks-de", "Tobias Wolf <tobias@partner.de>", "Meeting nach meinem Urlaub",
     "Hallo Alex,\n\nich bin bis Freitag im Urlaub. Können wir danach ein Meeting für die Planung vereinbaren?\n\nViele Grüße\nTobias"),
     rule="meetings", does=REPLY, auto="", due=None)

case("ooo-plans-person", "out of office", plain("ooo-plans-person", "Hannah Moore <hannah.m@client-co.example>", "Re: Out of office plans for December",
     "Hi Alex,\n\nwho covers for whom while we are away over the holidays? I'm out from 20 December until 3 January.\n\nHannah"),
     rule="", does=ASK, auto="")

# ---------------------------------------------------------------- price questions that mention a call
case("quote-meeting-de", "quote", plain("quote-meeting-de", "Anna Schulz <anna@firma.de>", "Angebot / offer für einen Workshop",
     "Guten Tag,\n\nkönnen Sie uns ein Angebot für einen zweitägigen Workshop schicken? Gerne können wir auch ein kurzes Meeting dazu vereinbaren.\n\nBeste Grüße\nAnna Schulz"),
     rule="sales", does=ASK, offer=None, due=None)
case("quote-call-fr-html", "quote", html_only("quote-call-fr-html", "Hugo Bernard <hugo@societe.fr>", "Demande de devis (quote)",
     html("<p>Bonjour,</p><p>pourriez-vous nous envoyer votre prix pour la formation de deux jours ? On peut aussi en parler lors d'un call.</p><p>Merci,<br>Hugo</p>")),
     rule="sales", does=ASK, offer=None, due=None)
case("quote-catchup-en-alt", "quote", alternative("quote-catchup-en-alt", "Emma Stone <emma@retailer.example>", "Proposal for the Q2 work",
     "Hi Alex,\n\ncould you send us a proposal for the Q2 work? Happy to catch up on a call next week if that helps.\n\nEmma",
     html("<p>Hi Alex,</p><p>could you send us a proposal for the Q2 work? Happy to catch up on a call next week if that helps.</p><p>Emma</p>")),
     rule="sales", does=ASK, offer=None, due=None)
case("quote-call-es", "quote", plain("quote-call-es", "Marta Sánchez <marta@empresa.es>", "Solicitud de precio (price)",
     "Hola,\n\n¿cuál sería el precio para un taller de dos días? Si lo prefiere, hacemos una call el jueves.\n\nSaludos,\nMarta"),
     rule="sales", does=ASK, offer=None, due=None)
case("quote-call-it", "quote", plain("quote-call-it", "Paolo Romano <paolo@azienda.it>", "Richiesta offerta (offer)",
     "Buongiorno,\n\nci può mandare un'offerta per il pacchetto di consulenza? Possiamo anche fissare una call o un meeting.\n\nCordiali saluti\nPaolo"),
     rule="sales", does=ASK, offer=None, due=None)
case("quote-call-nl", "quote", plain("quote-call-nl", "Daan Visser <daan@klant.nl>", "Offerte aanvraag (quote)",
     "Goedemiddag,\n\nkunt u een offerte sturen voor de workshop? We kunnen ook een call of meeting plannen.\n\nMet vriendelijke groet,\nDaan"),
     rule="sales", does=ASK, offer=None, due=None)

# ---------------------------------------------------------------- forwards and FYIs of meetings
case("fwd-meeting-de", "forwarded", forwarded("fwd-meeting-de", "Petra Lang <petra@kunde-gmbh.de>", "WG: Protokoll Meeting",
     "Zur Info, das Protokoll vom Meeting am Dienstag.", orig_from="Max Braun <max@kunde-gmbh.de>", orig_subject="Protokoll Meeting",
     orig_text="1. Budget freigegeben\n2. Nächste Schritte bis Ende März"),
     rule="meetings", does=ASK)
case("fwd-meeting-fr", "forwarded", forwarded("fwd-meeting-fr", "Julie Petit <julie@agence.fr>", "TR: compte rendu du meeting",
     "Pour info, le compte rendu du meeting de mardi.", orig_from="Marc <marc@agence.fr>", orig_subject="compte rendu du meeting",
     orig_text="- validation du planning\n- prochaine étape : maquettes"),
     rule="meetings", does=ASK)
case("fwd-call-notes-outlook", "forwarded", plain("fwd-call-notes-outlook", "Eva Long <eva@client-co.example>", "FW: call notes",
     "See below.\n\n-----Original Message-----\nFrom: Tom <tom@client-co.example>\nSent: Tuesday, March 2, 2027 4:10 PM\nSubject: call notes\n\n- timeline agreed\n- Alex to send the draft"),
     rule="meetings", does=ASK)
case("fyi-minutes-html", "forwarded", html_only("fyi-minutes-html", "Hannah Moore <hannah.m@client-co.example>", "Minutes of Tuesday's meeting",
     html("<p>FYI, the minutes of Tuesday's meeting are below. No action needed.</p><ul><li>Budget approved</li><li>Launch in May</li></ul>")),
     rule="meetings", does=ASK)
case("fwd-meeting-es", "forwarded", forwarded("fwd-meeting-es", "Lucía Gómez <lucia@cliente.es>", "RV: Notas de la reunión (meeting)",
     "Para tu información, las notas del meeting de ayer.", orig_from="Carlos <carlos@cliente.es>", orig_subject="Notas de la reunión",
     orig_text="1. Presupuesto aprobado\n2. Próximos pasos"),
     rule="meetings", does=ASK)
case("fwd-meeting-it", "forwarded", forwarded("fwd-meeting-it", "Giulia Conti <giulia@azienda.it>", "I: verbale meeting",
     "Per conoscenza, il verbale del meeting di ieri.", orig_from="Andrea <andrea@azienda.it>", orig_subject="verbale meeting",
     orig_text="- budget approvato\n- prossimi passi"),
     rule="meetings", does=ASK)
case("fwd-apple-nl", "forwarded", plain("fwd-apple-nl", "Sanne de Vries <sanne@klant.nl>", "Doorst: agenda meeting",
     "Ter info.\n\nBegin forwarded message:\n\nFrom: Joris <joris@klant.nl>\nSubject: agenda meeting\n\n1. Planning\n2. Budget"),
     rule="meetings", does=ASK)
case("meeting-request-in-thread", "meeting", plain("meeting-request-in-thread", "Ryan Cole <ryan@partner.example>", "Re: catch up",
     "Hi,\n\nthanks for getting back to me. Could we have a call on Thursday afternoon?\n\nRyan", reply_to_mid="<catch-up-root@corpus.test>"),
     rule="meetings", does=REPLY, auto="", due=None)
# fmt: on
