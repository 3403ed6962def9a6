"""Logging with a redaction filter over every configured secret.

HTTP client libraries log request URLs, and the Telegram Bot API puts the token in the
URL: their loggers are held at WARNING and every record passes the redaction filter.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

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
    "apscheduler",  # at INFO it logs every run of the one-second timer job
)


class Redactor(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def add(self, secret: str) -> None:
        if secret and len(secret) >= 4 and secret not in self.secrets:
            self.secrets = sorted([*self.secrets, secret], key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
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
