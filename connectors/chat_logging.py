"""Keep bot tokens out of logs.

python-telegram-bot logs its API URL (which embeds the token) at DEBUG, httpx logs every
request URL at INFO, and exception messages may quote the token. The core adds a global
filter too; this one is installed by the chat connectors themselves so that a connector
is safe even when run alone (tests, ``deputy check``).
"""

from __future__ import annotations

import logging
import threading

# Loggers of the libraries the chat connectors use; records are redacted where created.
_LIBRARY_PREFIXES: tuple[str, ...] = (
    "telegram",
    "httpx",
    "httpcore",
    "slack_bolt",
    "slack_sdk",
    "slack",
    "aiohttp",
    "asyncio",
    "connectors",
)
_QUIET: tuple[str, ...] = ("httpx", "httpcore")
REDACTED = "[redacted]"


class SecretRedactor(logging.Filter):
    """Rewrites a record in place when its message or traceback contains a secret.

    A logger-level filter sees each record once, where it is created, and the record it
    rewrites is the one every handler (root, caplog, files) later receives.
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def add(self, *secrets: str) -> None:
        with self._lock:
            # Short strings would redact innocent text; real tokens are long.
            self._secrets = self._secrets | {s for s in secrets if len(s) >= 8}

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the handler's problem, not ours
            message = str(record.msg)
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self.redact(text) != text:
                record.exc_text = self.redact(text)
                record.exc_info = None
        return True


_REDACTOR = SecretRedactor()


def redactor() -> SecretRedactor:
    return _REDACTOR


def protect_secrets(*secrets: str) -> None:
    """Register secrets and make sure every relevant logger redacts them.

    Also lowers httpx/httpcore to WARNING so that request URLs are not logged at all
    in normal operation; the filter still covers someone turning them back to DEBUG.
    """
    _REDACTOR.add(*secrets)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    names = {
        name for name in list(logging.root.manager.loggerDict) if name.split(".")[0] in _LIBRARY_PREFIXES
    }
    for name in (*_LIBRARY_PREFIXES, *names):
        _attach(logging.getLogger(name))
    _attach(logging.getLogger())


def _attach(logger: logging.Logger) -> None:
    if _REDACTOR not in logger.filters:
        logger.addFilter(_REDACTOR)
