"""From a signal to a stopped daemon, in bounded time.

``deputy run`` waits for SIGINT or SIGTERM (during a slow start too), then stops the
daemon. A stop that does not end would leave a process a service manager has to SIGKILL
without a word on why, so the stop is watched: after ``REPORT_AFTER`` seconds the log
gets every task still pending with where it waits (the part that does not let go), and
after ``GIVE_UP_AFTER`` seconds the daemon gives up on a clean stop and exits with
``EXIT_STUCK``. Nothing is lost by that: an event is persisted before it is acknowledged
and a delivery is recorded before it is sent, so the next start redoes what was left.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot import heap

log = logging.getLogger("deputy")

REPORT_AFTER = 15.0
GIVE_UP_AFTER = 40.0  # under systemd's default TimeoutStopSec of 90 s
EXIT_AFTER = 15.0  # from a clean stop to the process's end
EXIT_STUCK = 70  # EX_SOFTWARE (sysexits.h)


class Stoppable(Protocol):
    def start(self) -> Awaitable[None]: ...

    def stop(self) -> Awaitable[None]: ...


def _first(obj: object, names: tuple[str, ...]) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _awaits(coro: object) -> list[str]:
    """The chain of frames a suspended coroutine waits in, outermost first (the await
    chain: ``cr_await``; a generator-based wait: ``gi_yieldfrom``)."""
    chain: list[str] = []
    while coro is not None and len(chain) < 40:
        frame = _first(coro, ("cr_frame", "gi_frame", "ag_frame"))
        if frame is not None:
            chain.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        coro = _first(coro, ("cr_await", "gi_yieldfrom", "ag_await"))
    return chain


def pending_tasks(loop: asyncio.AbstractEventLoop | None = None) -> str:
    """Every task of the loop (the running one by default) but the caller's, each with
    the chain it waits in."""
    current = asyncio.current_task() if loop is None else None
    lines: list[str] = []
    for task in sorted(asyncio.all_tasks(loop), key=lambda t: t.get_name()):
        if task is current or task.done():
            continue
        chain = _awaits(task.get_coro()) or ["a wait that is not a coroutine's"]
        lines.append(f"  {task.get_name()}:\n" + "\n".join(f"    {link}" for link in chain))
    # A task that waits on a thread (the database's) shows a future: say where each
    # thread is too.
    return "\n".join([*lines, threads()])


def threads() -> str:
    """Every thread but the caller's, with the innermost frames it runs in."""
    names = {t.ident: (t.name, t.daemon) for t in threading.enumerate()}
    lines: list[str] = []
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident():
            continue
        name, daemon = names.get(ident, (str(ident), True))
        where: list[str] = []
        while frame is not None and len(where) < 4:
            where.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
            frame = frame.f_back  # type: ignore[assignment]
        kind = "daemon thread" if daemon else "thread"
        lines.append(f"  {kind} {name}:\n" + "\n".join(f"    {link}" for link in where))
    return "\n".join(lines) or "  (no other thread)"


def watch_exit(after: float = EXIT_AFTER) -> threading.Timer:
    """After a clean stop the process still has to end: asyncio.run cancels what is left
    and joins the default executor's threads, and the interpreter joins every non-daemon
    thread, each without a bound. A daemon timer (it does not itself hold the exit up)
    names what is left and exits with ``EXIT_STUCK`` if the end does not come. Called
    from the loop, whose tasks it lists from its own thread (a snapshot: asyncio's
    all_tasks retries a set that changes under it)."""
    loop = asyncio.get_running_loop()

    def stuck() -> None:
        try:
            left = pending_tasks(loop)
        except Exception as exc:  # the loop's set of tasks changed too often: threads only
            left = f"  (tasks not listed: {exc})\n{threads()}"
        log.error("stopped, but the process did not end within %gs; exiting. Still pending:\n%s", after, left)
        logging.shutdown()
        os._exit(EXIT_STUCK)

    timer = threading.Timer(after, stuck)
    timer.name = "deputy-exit-watch"
    timer.daemon = True
    timer.start()
    return timer


async def bounded(
    stop: Callable[[], Awaitable[None]],
    *,
    report_after: float = REPORT_AFTER,
    give_up_after: float = GIVE_UP_AFTER,
) -> bool:
    """Run ``stop``; False when it did not end within ``give_up_after`` seconds (it is
    left running: cancelling a stop half-way could leave the store open under a task
    that still writes)."""
    task = asyncio.ensure_future(stop())
    done, _ = await asyncio.wait({task}, timeout=report_after)
    if not done:
        log.warning("stopping takes longer than %gs; still pending:\n%s", report_after, pending_tasks())
        done, _ = await asyncio.wait({task}, timeout=max(0.0, give_up_after - report_after))
    if not done:
        log.error("did not stop within %gs; exiting. Still pending:\n%s", give_up_after, pending_tasks())
        return False
    task.result()  # a stop that failed raises here
    log.info("stopped")
    return True


async def run_until_signalled(
    deputy: Stoppable, *, report_after: float = REPORT_AFTER, give_up_after: float = GIVE_UP_AFTER
) -> bool:
    """Run until SIGINT/SIGTERM; False when the stop had to be given up (exit at once:
    the loop's own clean-up would wait on the same stuck task)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # A signal during a slow start (a server that does not answer) stops it too.
    starting = asyncio.ensure_future(deputy.start())
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
        else:
            starting.result()  # a failed start raises here
            log.debug("start-up heap frozen: %d objects", heap.freeze())
            await stopping
        log.info("shutting down")
    finally:
        stopping.cancel()
        clean = await bounded(deputy.stop, report_after=report_after, give_up_after=give_up_after)
    return clean
