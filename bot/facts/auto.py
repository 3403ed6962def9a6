"""Machine-written mail: out-of-office notices, other auto-replies, delivery reports.

Headers first (RFC 3834 Auto-Submitted, the X-Autoreply family, Precedence, RFC 3462
multipart/report), then the subject and the first lines of the body in the languages
we see, because many autoresponders set no header at all. Answering an auto-reply
starts a mail loop; taking a bounce for an answer loses a thread.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.facts.model import AutoKind
from bot.facts.text import lowered

_BOUNCE_SUBJECT = re.compile(
    r"delivery\sstatus\snotification|undeliverable|undelivered\smail|mail\sdelivery\s(?:failed|failure|"
    r"subsystem)|delivery\sfailure|failure\snotice|returned\smail|delivery\shas\sfailed|message\snot\sdelivered|"
    r"unzustellbar|nicht\szustellbar|non\sremis|échec\sde\s(?:la\s)?remise|non\sdistribuable|no\sentregado|"
    r"no\sse\spudo\sentregar|mancato\srecapito|non\srecapitabile|onbestelbaar"
)
_BOUNCE_SENDER = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@")
_OOO_SUBJECT = re.compile(
    r"out\sof\s(?:the\s)?office|\booo\b|abwesenheit|abwesend|nicht\sim\sbüro|urlaub|absence|absente?\b|"
    r"congés|fuori\s(?:ufficio|sede)|assente|fuera\sde\s(?:la\s)?oficina|ausente|vacaciones|afwezig|"
    r"on\s(?:vacation|holiday|leave)|away\sfrom\s(?:the\s)?office"
)
# Subjects that say out-of-office on their own, with no header or body needed.
_OOO_STRONG = re.compile(
    r"out\sof\s(?:the\s)?office|\booo\b|abwesenheitsnotiz|^\s*abwesend|^\s*absence\b|fuori\sufficio|"
    r"fuera\sde\s(?:la\s)?oficina|^\s*afwezig|nicht\sim\sbüro"
)
_AUTO_SUBJECT = re.compile(
    r"automatic\s(?:reply|response)|auto[-\s]?reply|autoreply|auto[-\s]?response|automatische\s(?:antwort|"
    r"rückantwort)|réponse\sautomatique|respuesta\sautomática|risposta\sautomatica|automatisch\santwoord|"
    r"autosvar|automaattinen"
)
_OOO_BODY = re.compile(
    r"""(?x)
      (?:i\sam|i'm|i\swill\sbe|we\sare)\s(?:currently\s|now\s)?(?:out\sof\s(?:the\s)?office|away|on\s(?:vacation|holiday|leave|annual\sleave)|absent)
    | out\sof\s(?:the\s)?office\s(?:until|from|till|through)
    | (?:limited|no)\saccess\sto\s(?:my\s)?e-?mail
    | ich\sbin\s[^\n]{0,60}(?:nicht\sim\sbüro|abwesend|im\surlaub|nicht\serreichbar|außer\shaus)
    | (?:bin|sind)\s(?:derzeit|zurzeit|momentan|aktuell)\s(?:nicht\sim\sbüro|abwesend|im\surlaub)
    | je\ssuis\s[^\n]{0,40}(?:absente?|en\scongés?|en\svacances|hors\sdu\sbureau)
    | je\sserai\s[^\n]{0,40}(?:absente?|en\scongés?)
    | (?:estoy|estaré)\s[^\n]{0,40}(?:fuera\sde\s(?:la\s)?oficina|de\svacaciones|ausente)
    | (?:sono|sarò)\s[^\n]{0,40}(?:fuori\s(?:ufficio|sede)|in\sferie|assente)
    | ik\sben\s[^\n]{0,40}(?:afwezig|op\svakantie|niet\s(?:op\skantoor|aanwezig))
    """
)
# A notice says when its writer is back; a person mentioning a trip rarely words it so.
_RETURN = re.compile(
    r"\b(?:until|till|through|return(?:ing)?|back\s(?:on|in)|bis\s(?:zum|einschließlich)?|zurück|wieder\s(?:im|ab)|"
    r"jusqu'au|retour|de\sretour|hasta|vuelta|fino\sal|rientro|al\smio\srientro|tot\sen\smet)\b"
)
_AUTO_BODY = re.compile(
    r"this\sis\san\sautomatic(?:ally\sgenerated)?\s(?:reply|response|message)|do\snot\sreply\sto\sthis|"
    r"diese\snachricht\swurde\sautomatisch|automatisch\s(?:generierte|erstellte)\s(?:nachricht|antwort)|"
    r"ceci\sest\sune\sréponse\sautomatique|message\sautomatique|este\ses\sun\smensaje\sautomático|"
    r"questo\sè\sun\smessaggio\sautomatico|we\shave\sreceived\syour\s(?:e-?mail|message|request)"
)
_BOUNCE_BODY = re.compile(
    r"this\sis\sthe\smail\s(?:system|delivery\ssoftware)|could\snot\sbe\sdelivered\sto|"
    r"delivery\sto\sthe\sfollowing\srecipients?\sfailed|permanent\serror|550\s5\.\d\.\d|"
    r"konnte\snicht\szugestellt\swerden"
)


# A person who says they are away and still asks something ("I'm on holiday until
# Friday, but could you send the quote?") wants an answer; a notice asks nothing.
_ASKS = re.compile(r"[?¿？]")


def auto_kind(
    *, subject: str, text: str, headers: Mapping[str, str], refs: Mapping[str, str], sender: str = ""
) -> AutoKind:
    """``bounce``, ``out_of_office``, ``auto_reply`` or ""."""
    ctype = headers.get("content-type", "").lower()
    report = refs.get("multipart_report") == "true" or ctype.startswith("multipart/report")
    report_type = refs.get("report_type", "") or ("delivery-status" if "delivery-status" in ctype else "")
    if report and report_type in ("delivery-status", ""):
        return "bounce"
    head = lowered(text[:1500])
    subject = lowered(subject)
    if _BOUNCE_SENDER.match(sender) or _BOUNCE_SUBJECT.search(subject):
        return "bounce"
    if _BOUNCE_BODY.search(head) and (_BOUNCE_SENDER.match(sender) or not sender):
        return "bounce"
    auto_header = (
        headers.get("auto-submitted", "no").strip().lower().split(";")[0] not in ("", "no")
        or bool(headers.get("x-autoreply") or headers.get("x-autorespond") or headers.get("x-autogenerated"))
        or headers.get("precedence", "").strip().lower() == "auto_reply"
    )
    auto_subject = _AUTO_SUBJECT.search(subject) is not None
    machine = auto_header or auto_subject
    asks = _ASKS.search(head[:600]) is not None
    if (
        (machine and (_OOO_SUBJECT.search(subject) or _OOO_BODY.search(head)))
        or (_OOO_STRONG.search(subject) and not asks)
        or (_OOO_BODY.search(head[:600]) and _RETURN.search(head[:600]) and not asks)
    ):
        return "out_of_office"
    if auto_header or auto_subject or _AUTO_BODY.search(head[:600]):
        return "auto_reply"
    return ""
