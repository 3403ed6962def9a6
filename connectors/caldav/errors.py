"""Translate caldav's exceptions (and its HTTP library's) into bot.errors, once."""

from __future__ import annotations

from caldav.lib import error as dav

from bot.errors import AuthFailed, DeputyError, PermanentError, TransientError


def translate(exc: BaseException, *, what: str) -> DeputyError:
    if isinstance(exc, DeputyError):
        return exc
    if isinstance(exc, dav.AuthorizationError):
        return AuthFailed(f"caldav {what}: the server refused the credentials")
    if isinstance(exc, dav.NotFoundError):
        return PermanentError(f"caldav {what}: not found on the server")
    if isinstance(exc, dav.DAVError):
        return TransientError(f"caldav {what}: {type(exc).__name__}")
    if isinstance(exc, ValueError):
        return PermanentError(f"caldav {what}: {exc}")
    return TransientError(f"caldav {what}: {type(exc).__name__}")
