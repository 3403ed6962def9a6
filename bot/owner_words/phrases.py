"""The phrase tables the reading of an owner's answer uses, in English, German and French.

Kept apart from the classification so that adding a language (or a phrasing a user
reports) touches one table and no logic. Every pattern is searched case-insensitively in
one sentence of the answer, with the apostrophes normalised to ``'``.
"""

from __future__ import annotations

import re

from bot.first_char import guarded


def _any(*patterns: str) -> re.Pattern[str]:
    return guarded("|".join(f"(?:{p})" for p in patterns), re.I)


_HIM = (
    r"(?:him|her|them|it|this|that|the(?:m| sender| supplier| vendor| client| customer| guy)"
    r"|this (?:one|guy|supplier|vendor|sender))"
)
_IHM = r"(?:ihm|ihr|ihnen|ihn|sie|es|das|dem|der|den)"
_LUI = r"(?:-?lui|-?leur|-?le|-?la|-?les|l')"

# "Let me check first", "hold off": nothing happens now, the question stays open.
HOLD = _any(
    r"\blet me (?:check|think|look|see|ask|confirm|verify)\b",
    r"\bi(?:'ll| will| need to| have to| must|'d like to) (?:check|think|look into|verify|confirm|ask)\b",
    r"\bcheck (?:with \w+(?: \w+)? )?first\b",
    r"\bhold (?:off|on|it|fire)\b",
    r"\b(?:wait|not yet|not now|later|give me (?:a|some) (?:minute|moment|time|day))\b",
    r"\b(?:warte|warten|wart mal|noch nicht|nicht jetzt|später|moment mal|abwarten)\b",
    r"\b(?:ich|lass mich) (?:muss |will |möchte )?(?:erst(?:mal)? |kurz |noch )?(?:prüfen|"
    r"nachsehen|klären|schauen|überlegen|nachfragen|checken)\b",
    r"\bich (?:prüfe|kläre|schaue|frage|checke) (?:das |es )?(?:erst|noch|kurz|mit|bei|nach)\b",
    r"\b(?:lass mich|erst|zuerst)\b.*\b(?:prüfen|nachsehen|klären|schauen|überlegen|nachfragen|checken)\b",
    r"\b(?:attends|attendez|pas encore|pas maintenant|plus tard|patiente[zr]?)\b",
    r"\b(?:je (?:dois |vais )?(?:vérifie[r]?|regarde[r]?|réfléchi[rs]?)|"
    r"laisse[z]?-moi (?:vérifier|réfléchir|regarder))\b",
)

# "I'll handle it myself": Deputy does nothing and leaves the conversation to the owner.
HANDLE_MYSELF = _any(
    rf"\bi(?:'ll| will| am going to|'m going to| shall)? (?:handle|deal with|take care of|answer|"
    rf"reply to|call|phone|talk to|speak to|do) {_HIM}(?: \w+)?(?: myself| personally)?\b",
    r"\b(?:myself|personally)\b",
    r"\bleave (?:it|this|that|him|her|them) (?:to|for|with) me\b",
    r"\bi(?:'ll| will) (?:handle|deal with|take care of|sort) (?:it|this|that)\b",
    r"\bich (?:kümmere|kuemmere) mich\b",
    r"\b(?:übernehme|erledige|mache|beantworte|kläre) ich\b",
    r"\bich (?:übernehme|erledige|mache|beantworte|kläre|antworte|rufe)\b.*\b(?:selbst|selber|an)\b",
    r"\b(?:selbst|selber|persönlich)\b",
    r"\bje m'en (?:occupe|charge)\b",
    r"\bje vais m'en (?:occuper|charger)\b",
    r"\b(?:moi-même|personnellement|laisse[z]?-moi faire|je gère)\b",
)

# "Ignore this one": nothing is sent, the question closes.
IGNORE = _any(
    rf"\b(?:ignore|skip|drop|bin|archive) {_HIM}\b",
    r"^\s*(?:ignore|skip|drop it|bin it|spam|do nothing|nothing|leave it|no reply|none)\s*[.!]*\s*$",
    r"\b(?:don't|do not|dont|no need to|never) (?:reply|answer|respond|react|bother)\b",
    r"\bdo nothing\b|\bno reply\b|\bno answer\b|\bleave it\b",
    r"\bignorier(?:e|en)?\b|\bnicht (?:antworten|reagieren|beantworten)\b|\bnichts tun\b",
    r"\b(?:keine antwort|lass(?:en)? (?:es|das|gut sein)|einfach liegen lassen)\b",
    r"\bignore[rz]?\b|\bne (?:réponds|répondez|répondons|rien faire|fais rien|faites rien)\b",
    r"\b(?:laisse[rz]? tomber|pas de réponse|ne rien faire)\b",
    # "Not this one, thanks": a no to the question, never words for the correspondent.
    r"^\s*(?:no,? )?not (?:this|that) (?:one|time)\b|^\s*(?:nope|no thanks?|no thank you)\s*[.!]*\s*(?:$|,)",
    r"^\s*(?:nein,? )?(?:diesmal nicht|nicht (?:diese[nrs]?|dieses mal))\b",
    r"^\s*(?:non,? )?pas (?:celui-ci|celle-ci|cette fois)\b",
)

# "Tell him no", "send them packing": a polite refusal, drafted and shown first.
DECLINE = _any(
    rf"\b(?:tell|let) {_HIM} (?:know )?(?:no|we(?:'re| are) not interested|we pass|we decline)\b",
    r"\bsay no\b|\bpass on (?:it|this|that|them|him|her)\b",
    rf"\b(?:politely )?(?:decline|refuse|reject|turn down)\b|\bturn {_HIM} down\b",
    rf"\bsend {_HIM} (?:packing|away|on (?:his|her|their) way)\b|\bget rid of {_HIM}\b|\bbrush {_HIM} off\b",
    rf"\bsag(?:e|en)? {_IHM} ab\b|\babsagen\b|\bablehnen\b|\blehn(?:e|en)? .*\bab\b|"
    rf"\bsag(?:e)? (?:{_IHM} )?nein\b",
    r"\babwimmeln\b|\bwimmel .* ab\b",
    rf"\b(?:dis|dites){_LUI}? (?:que )?non\b|\brefuse[rz]?\b|\bdécline[rz]?\b|\brepousse[rz]?\b",
    rf"\benvoie[rz]?{_LUI}? (?:balader|promener|paître)\b",
    r"\bdis-lui non\b|\bdites-leur non\b",
)

# Any other instruction to Deputy about the correspondent: the message needs drafting.
DIRECTIVE = _any(
    rf"^\s*(?:please |pls |can you |could you |would you )?(?:tell|ask|let|remind|inform|"
    rf"write(?: to)?|reply to|answer|send|offer|propose|suggest|explain to|confirm(?: to)?|"
    rf"request|thank|apologi[sz]e to|give|quote|counter|get back to|follow up with|chase|"
    rf"nudge) {_HIM}\b",
    r"^\s*(?:please |pls |can you |could you )?(?:ask|request|chase|push) (?:for|about)\b",
    r"^\s*(?:please |pls |can you |could you )?(?:offer|propose|suggest|counter(?: with)?|quote|"
    r"go (?:down|up) to|make it|accept|agree to)\b",
    r"^\s*(?:please |pls |can you |could you )?(?:reply|answer|respond|write back|get back)\b(?! *:)",
    r"^\s*(?:bitte )?(?:sag|sage|schreib|schreibe|frag|frage|antworte|bitte|teil|teile|erinnere|"
    r"biete|bestätige|bedanke|schick|schicke)\w* (?:ihm|ihr|ihnen|ihn|sie|dem|der|den|nach|um)\b",
    r"^\s*(?:bitte )?(?:biete|anbieten|gegenangebot|frag nach|nachfragen|erinnern|mahnen)\b",
    rf"^\s*(?:dis|dites|demande|demandez|réponds|répondez|écris|écrivez|propose|proposez|offre|"
    rf"offrez|rappelle|rappelez|confirme|confirmez|remercie|remerciez|envoie|envoyez|relance|"
    rf"relancez){_LUI}?\b",
)

# "yes, but only 850": the owner names a price.
PRICE_WORDS = _any(
    r"\b(?:only|offer|counter|make it|go (?:down|up) to|propose|quote|accept|but)\b",
    r"\b(?:nur|biete|anbieten|angebot|aber)\b",
    r"\b(?:seulement|offre|offrez|propose[zr]?|mais)\b",
)

YES = guarded(
    r"(?i)^\s*(?:yes|y|yep|yeah|ok|okay|k|sure|fine|approved?|go ahead|do it|send it|agreed?|ja|jawohl|"
    r"einverstanden|passt|mach(?: das)?|oui|d'accord|vas-y|allez-y|👍)\s*[.!]*\s*$"
)
NO = guarded(r"(?i)^\s*(?:no|n|nope|nah|nein|non|👎)\s*[.!]*\s*$")
UNCLEAR = guarded(
    r"(?i)^\s*(?:[?!.…]+|hmm+|hm+|uh+|um+|eh+|äh+|euh+|bof|hein|wie bitte|what|huh|\?+)\s*[?!.]*\s*$"
)

# An explicit "this is what to send": everything after it goes out as written.
SEND_PREFIX = guarded(
    r"(?is)^\s*(?:reply|send|answer|write|antwort|antworte|sende|schreib|réponse|répondre|réponds|envoie|envoyer)\s*:\s*(?P<body>.+)$"
)
# 'tell him: "We accept."' / 'sag ihm: „Passt.“': the quoted words are the owner's own.
DICTATING = guarded(
    r"(?i)\b(?:tell|say|write|reply|answer|sag|sage|schreib|schreibe|antworte|dis|dites|écris|réponds)\b"
)
DICTATED = guarded(r"(?s)^[^\"“„«]{0,80}?[:,]?\s*[\"“„«]\s*(?P<body>[^\"“”„«»]{2,})\s*[\"”“»]\s*[.!]?\s*$")

# Text addressed to the correspondent.
SALUTATION = _any(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings)\b",
    r"^\s*(?:hallo|liebe[rs]?|sehr geehrte[rs]?|guten (?:tag|morgen|abend)|moin|servus|grüß gott)\b",
    r"^\s*(?:bonjour|bonsoir|salut|cher|chère|chers|madame|monsieur)\b",
)
COURTESY = _any(
    r"\b(?:thanks|thank you|many thanks|best regards|kind regards|regards|cheers|best wishes)\b",
    r"\b(?:danke|vielen dank|herzlichen dank|viele grüße|beste grüße|mit freundlichen grüßen)\b",
    r"\b(?:merci|cordialement|bien à vous|amicalement|bien cordialement)\b",
)
SECOND_PERSON_EN_FR = _any(
    r"\b(?:you|your|yours|you're|you'll|we|we're|we'll|we've|let's|us|our)\b",
    r"\b(?:vous|votre|vos|tu|te|toi|ton|ta|tes|nous|notre|nos)\b",
)
# German formal "Sie/Ihnen/Ihr" is capitalised; lower-case "sie" is "they".
SECOND_PERSON_DE = guarded(r"\b(?:Sie|Ihnen|Ihre?[mnrs]?|du|dich|dir|dein\w*|euch|euer|wir|uns|unser\w*)\b")

POLICY = _any(
    r"\b(?:always|from now on|every time|in (?:the )?future|going forward|henceforth|whenever|"
    r"never again|never)\b",
    r"\b(?:immer|ab jetzt|ab sofort|künftig|zukünftig|in zukunft|jedes mal|nie(?:mals)?)\b",
    r"\b(?:toujours|désormais|dorénavant|à l'avenir|chaque fois|jamais)\b",
)
NEVER = _any(r"\bnever\b", r"\bnie(?:mals)?\b", r"\bjamais\b")
# In a policy: "pay/approve/do that" means the question's affirmative option.
AFFIRM = _any(
    r"\b(?:pay|approve|accept|confirm|do (?:it|that|this|the same)|go ahead|same|like this|that way|yes)\b",
    r"\b(?:bezahl\w*|zahl\w*|genehmig\w*|akzeptier\w*|bestätig\w*|so machen|genauso|gleich)\b",
    r"\b(?:paye[rz]?|payez|approuve[rz]?|accepte[rz]?|confirme[rz]?|pareil|comme ça|de même)\b",
)
# A condition on a policy: "if under 500 EUR", "wenn unter 500", "si moins de 500".
CONDITION = _any(
    r"\b(?:if|when|unless|except|provided)\b",
    r"\b(?:wenn|falls|sofern|außer)\b",
    r"\b(?:si|sauf|lorsque|quand)\b",
)
OTHERWISE_ASK = _any(
    r"\b(?:otherwise|else|if not)\b[^.]*\b(?:ask|check with|tell|escalate)\b",
    r"\b(?:sonst|ansonsten|andernfalls)\b[^.]*\b(?:frag|fragen|melde|sag)\w*\b",
    r"\b(?:sinon|autrement)\b[^.]*\b(?:demande|demandez|pose|dis)\w*\b",
)
