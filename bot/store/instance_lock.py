"""The single-instance lock: an OS file lock beside the database.

The kernel releases a ``flock`` when the process dies, even by SIGKILL, so a crashed
daemon never blocks its successor, and two daemons on one database cannot both run.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from bot.errors import AlreadyRunning


class InstanceLock:
    """``flock`` on ``<db>.lock``: two daemons on one database cannot both run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = self.path.read_text().strip() or "another process"
            raise AlreadyRunning(
                f"{self.path}: another Deputy (pid {holder}) is running on this database"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
