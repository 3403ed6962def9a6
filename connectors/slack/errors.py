"""Translate slack-sdk exceptions into bot.errors, once, at the boundary."""

from __future__ import annotations

import asyncio

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.errors import AuthFailed, DeputyError, PermanentError, TransientError

AUTH_ERRORS = frozenset(["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"])
TRANSIENT_ERRORS = frozenset(
    ["ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"]
)


def translate(exc: Exception, *, what: str) -> DeputyError:
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        data = exc.response.data  # a 5xx from a proxy may carry text, not JSON
        error = data.get("error", "") if isinstance(data, dict) else ""
        code = str(error or f"http_{status}")
        text = f"slack {what}: {code}"
        if status == 429 or code == "ratelimited":
            return TransientError(text, retry_after=_retry_after(exc))
        if code in AUTH_ERRORS or status == 401:
            return AuthFailed(text)
        if status >= 500 or code in TRANSIENT_ERRORS:
            return TransientError(text)
        return PermanentError(text)
    if isinstance(exc, SlackClientError | aiohttp.ClientError | asyncio.TimeoutError):
        return TransientError(f"slack {what}: {type(exc).__name__}: {exc}")
    return TransientError(f"slack {what}: unexpected {type(exc).__name__}")


def _retry_after(exc: SlackApiError) -> float | None:
    headers = exc.response.headers or {}
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return float(raw)
            except ValueError:
                return None
    return None
