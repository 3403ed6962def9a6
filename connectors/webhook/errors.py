"""Translate what an outbound POST can meet into bot.errors, once, at the boundary."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.errors import DeputyError, PermanentError, TransientError


def for_status(url: str, status: int, retry_after: str | None) -> DeputyError | None:
    """None for a success; 429 and 5xx are retried (RFC 9110 15.6), other 4xx are final.
    408 (request timeout) is the receiver's own "try again"."""
    if status < 300:
        return None
    text = f"webhook {_safe(url)}: HTTP {status}"
    if status in (408, 429) or status >= 500:
        seconds = float(retry_after) if retry_after and retry_after.strip().isdigit() else None
        return TransientError(text, retry_after=seconds)
    return PermanentError(text)


def translate(exc: Exception, *, url: str) -> DeputyError:
    if isinstance(exc, aiohttp.InvalidURL | ValueError):
        return PermanentError(f"webhook {_safe(url)}: invalid URL")
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return TransientError(f"webhook {_safe(url)}: {type(exc).__name__}")
    return TransientError(f"webhook {_safe(url)}: unexpected {type(exc).__name__}")


def _safe(url: str) -> str:
    """Scheme, host and path only: query strings often carry tokens."""
    return url.split("?", 1)[0].split("#", 1)[0]
