"""What makes two mails the same mail, beside their Message-ID.

A Message-ID is supposed to be unique (RFC 5322 3.6.4), but broken senders reuse one
(a template with a fixed id, a mailer that restarts its counter). Deduping on it alone
dropped the second mail without a trace. The fingerprint is a digest of the content a
person would call "the mail" (From, Date, Subject, the body text, the attachments'
names and sizes), normalised so that a redelivery through another hop, which adds
Received and trace headers and may re-fold lines, keeps the same fingerprint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from bot.events import Attachment


def fingerprint(*, sender: str, date: str, subject: str, text: str, attachments: Iterable[Attachment]) -> str:
    def norm(value: str) -> str:
        return " ".join(value.split())  # folding and CRLF vs LF do not make a new mail

    files = ";".join(f"{a.filename}:{a.size}" for a in attachments)
    content = "\n".join((norm(sender.lower()), norm(date), norm(subject), norm(text), files))
    return hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()[:32]
