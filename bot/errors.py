"""The small error taxonomy every connector translates library exceptions into, once,
at its boundary. The core only ever handles these."""

from __future__ import annotations


class DeputyError(Exception):
    """Base class."""


class ConfigError(DeputyError):
    """Bad configuration or rules. The message names the file and the key or line."""


class TransientError(DeputyError):
    """Retry later with backoff (timeouts, 429, 5xx, dropped connections)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthFailed(DeputyError):
    """Credentials rejected: stop retrying and tell the owner."""


class PermanentError(DeputyError):
    """This delivery can never succeed as it is (bad address, message too large)."""


class InDoubt(PermanentError):
    """A send may or may not have happened and the platform cannot tell us which
    (Telegram has no idempotency): it is not repeated, and the owner is told."""


class AlreadyRunning(DeputyError):
    """Another daemon holds the single-instance lock on this database."""


class StartupError(DeputyError):
    """A part could not start (a port taken, a channel that cannot connect). The message
    names the part and the cause in one line; the daemon exits non-zero."""


class StorageLost(TransientError):
    """The database file the daemon has open was deleted or replaced under it: whatever
    is written now goes to a file nobody will read, so intake stops (SMTP 451) until a
    restart, and the message says why."""


class NoDatabase(DeputyError):
    """A command that reads the daemon's database found none (it never creates one)."""
