"""Translate python-telegram-bot exceptions into bot.errors, once, at the boundary.

Messages are redacted: PTB quotes the token in some errors (InvalidToken at start).
"""

from __future__ import annotations

from telegram import error as tg

from bot.errors import AuthFailed, DeputyError, PermanentError, TransientError
from connectors.chat_logging import redactor


def translate(exc: tg.TelegramError, *, what: str) -> DeputyError:
    """Map one PTB error to the core taxonomy.

    403 Forbidden from Telegram means "bot was blocked by the user" or "not a member of
    the chat" (the token is fine): permanent for this delivery. Bad tokens are 401/404
    (InvalidToken).
    """
    text = redactor().redact(f"telegram {what}: {exc.message}")
    match exc:
        case tg.RetryAfter():
            return TransientError(text, retry_after=retry_seconds(exc))
        case tg.InvalidToken():
            return AuthFailed(text)
        case tg.Forbidden() | tg.BadRequest() | tg.ChatMigrated():
            return PermanentError(text)
        case tg.TimedOut() | tg.NetworkError() | tg.Conflict():
            return TransientError(text)
        case _:
            return TransientError(text)


def retry_seconds(exc: tg.RetryAfter) -> float:
    """Seconds to wait. Reads the timedelta PTB stores, avoiding its deprecated int API."""
    value = getattr(exc, "_retry_after", None)
    if value is None:
        value = exc.retry_after
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


def is_not_modified(exc: tg.TelegramError) -> bool:
    """An edit that changes nothing: the prompt already shows the outcome."""
    return isinstance(exc, tg.BadRequest) and "not modified" in exc.message.lower()
