"""Logging with a redaction filter over every configured secret.

HTTP client libraries log request URLs, and the Telegram Bot API puts the token in the
URL: their loggers are held at WARNING and every record passes the redaction filter.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from bot.redact import SECRETS, Secrets

NOISY = (
    "httpx",
    "httpcore",
    "telegram",
    "aiosqlite",
    "openai",
    "slack_bolt",
    "slack_sdk",
    "aioimaplib",
    "mail.log",
)


class Redactor(logging.Filter):
    """The logging face of ``bot.redact``: every record is scrubbed of the process's
    secrets (the same set the audit writer uses)."""

    def __init__(self, secrets: Iterable[str], *, store: Secrets | None = None) -> None:
        super().__init__()
        self.store = SECRETS if store is None else store
        for secret in secrets:
            self.store.add(secret)

    @property
    def secrets(self) -> list[str]:
        return self.store.values

    def add(self, secret: str) -> None:
        self.store.add(secret)

    def scrub(self, text: str) -> str:
        return self.store.scrub(text)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.store.values:
            return True
        message = record.getMessage()
        cleaned = self.scrub(message)
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def secrets_from_env(names: Iterable[str]) -> list[str]:
    return [os.environ[n] for n in names if os.environ.get(n)]


def setup(level: str, *, secrets: Iterable[str] = ()) -> Redactor:
    redactor = Redactor(secrets)
    root = logging.getLogger()
    root.setLevel(level)
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
    for handler in root.handlers:
        handler.addFilter(redactor)
    for name in NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return redactor
