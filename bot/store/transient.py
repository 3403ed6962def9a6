"""Which store errors are the database's trouble rather than the event's.

A locked database (another process holds the write lock past the busy timeout), a disk
I/O error, a full disk: the same event succeeds once they pass, so they must not count
toward quarantining it as a poison pill; the loop is retried with backoff instead.
"""

from __future__ import annotations

import errno
import sqlite3

# sqlite3 only carries the message (sqlite_errorcode needs 3.11 and is absent on some
# builds); these are SQLite's own texts for SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR,
# SQLITE_FULL and SQLITE_CANTOPEN.
_MESSAGES = ("locked", "busy", "disk i/o error", "disk is full", "unable to open")
_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EROFS}


def transient(exc: BaseException) -> bool:
    """True for a store error that goes away by itself: retry later, do not blame the work."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return any(m in text for m in _MESSAGES)
    if isinstance(exc, OSError):
        return exc.errno in _ERRNOS
    return False
