"""A few threads that parse mail, so the event loop keeps answering while they work.

Parsing is pure Python and, even within the caps (``prescan``), a 25 MB mail takes a
noticeable while; on the loop it would hold up every SMTP banner, IMAP IDLE and chat
poll. A thread is enough: the caps bound the work, and CPython hands the GIL back to
the loop every switch interval (5 ms), so the loop is slowed, never stopped. A process
pool would add a child per core and pickling of each event for no gain here.

The pool is shared by every mail channel of the process and bounded (two threads, the
cores Deputy is sized for), so a burst of big mails queues here instead of starving
the loop of the GIL.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

WORKERS = 2


class ParsePool:
    def __init__(self, workers: int = WORKERS) -> None:
        self.workers = workers
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on a pool thread; its exception is raised here."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="deputy-parse")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))


PARSE_POOL = ParsePool()
