"""The single-instance lock: an OS file lock on the database file itself.

The kernel releases a ``flock`` when the process dies, even by SIGKILL, so a crashed
daemon never blocks its successor, and two daemons on one database cannot both run.
The lock is on the database file, not on a file beside it: a lock file can be deleted
(a cleanup script, a user tidying ``data/``) and the next daemon would lock a new one
and run on the same database. ``flock`` locks are separate from the POSIX ``fcntl``
locks SQLite takes on the same file (flock(2), "Linux notes"), so they never block
SQLite's own. A ``<db>.lock`` file beside it still holds the pid, for the message only.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from bot.errors import AlreadyRunning


class InstanceLock:
    """``flock`` on the database file: two daemons on one database cannot both run."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        self.pid_file = db_path.with_suffix(".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # An empty file is an empty database to SQLite: creating it here changes nothing.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            try:
                holder = self.pid_file.read_text().strip() or "another process"
            except OSError:
                holder = "unknown"
            raise AlreadyRunning(
                f"{self.path}: another Deputy (pid {holder}) is running on this database"
            ) from None
        self._fd = fd
        try:
            self.pid_file.write_text(str(os.getpid()))
        except OSError:
            pass  # only the message above reads it

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
