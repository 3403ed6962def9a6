"""One redactor for every place text leaves the process: log records and the decision
log (the audit table, read back by ``deputy log`` and the digest).

Secrets come only from the environment (each configured ``*_env`` key names one); the
values are registered here once, at start, by whoever reads them (``bot.logs.setup``,
the app as it builds each channel). Model text is a second hazard: an injected mail can
make the model quote a secret or write terminal escape sequences, so text a model wrote
is redacted, stripped of control characters, and marked as untrusted before it is
stored.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.first_char import guarded

MIN_SECRET = 4  # shorter values would redact ordinary words
UNTRUSTED = "[untrusted model text] "
_CONTROL = guarded(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class Secrets:
    """The configured secret values, longest first (so a secret that contains another
    is removed whole)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.values: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        if secret and len(secret) >= MIN_SECRET and secret not in self.values:
            self.values = sorted([*self.values, secret], key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.values:
            if secret in text:
                text = text.replace(secret, "[redacted]")
        return text


# The process's secrets: one set, shared by the logging filter and the audit writer.
SECRETS = Secrets()


def scrub(text: str) -> str:
    return SECRETS.scrub(text)


def untrusted(text: str) -> str:
    """Model-written text for the decision log: redacted, without control or bidi
    characters (a terminal showing ``deputy log`` must not be steered), and marked."""
    cleaned = _CONTROL.sub(" ", SECRETS.scrub(text))
    return cleaned if cleaned.startswith(UNTRUSTED) else UNTRUSTED + cleaned
