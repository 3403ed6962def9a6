"""Which asyncio event loop runs Deputy.

uvloop (libuv underneath) when it is installed and configured, the standard loop
otherwise. Deputy's hot path is asyncio plumbing as much as its own code (futures, task
switches, the wake-ups from the SQLite threads), and uvloop makes that plumbing cheaper:
about a tenth more events per second through the pipeline (issue 3; docs/BENCHMARKS.md).
``[deputy] event_loop = "asyncio"`` keeps the standard loop, e.g. to debug with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
LoopKind = Literal["uvloop", "asyncio"]


def run(main: Coroutine[Any, Any, T], *, kind: LoopKind = "uvloop") -> T:
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:  # not installed (it has no Windows build): the standard loop
            pass
        else:
            return uvloop.run(main)
    return asyncio.run(main)


def name(kind: LoopKind = "uvloop") -> str:
    """The loop ``run(kind=...)`` would use, for benchmarks and ``deputy check``."""
    if kind == "uvloop":
        try:
            import uvloop  # noqa: F401
        except ImportError:
            return "asyncio"
    return kind
