"""A stop that does not end is reported and given up on (bot/shutdown.py)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.shutdown import bounded, run_until_signalled


class Part:
    """Something with start/stop whose stop holds on until ``release`` is set, in a
    shielded wait as an SDK's clean-up does (a cancel does not end it)."""

    def __init__(self, *, holds: bool) -> None:
        self.holds = holds
        self.release = asyncio.Event()
        self.started = False
        self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        if self.holds:
            await asyncio.shield(self._holds_on())
        self.stopped = True

    async def _holds_on(self) -> None:
        await self.release.wait()


async def test_a_stop_that_ends_is_clean() -> None:
    part = Part(holds=False)
    assert await bounded(part.stop, report_after=0.5, give_up_after=1.0) is True
    assert part.stopped


async def test_a_stop_that_holds_on_is_reported_with_where_it_waits_and_given_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    part = Part(holds=True)
    caplog.set_level(logging.INFO, logger="deputy")
    try:
        assert await bounded(part.stop, report_after=0.05, give_up_after=0.2) is False
        assert not part.stopped
        warning, error = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert warning.levelno == logging.WARNING and "still pending" in warning.getMessage()
        assert error.levelno == logging.ERROR and "did not stop within" in error.getMessage()
        # The report names the innermost place the stuck task waits in.
        assert "_holds_on" in warning.getMessage()
        assert "test_shutdown.py" in error.getMessage()
    finally:
        part.release.set()
        await asyncio.sleep(0)


async def test_a_stop_that_fails_raises() -> None:
    async def broken() -> None:
        raise RuntimeError("the store would not close")

    with pytest.raises(RuntimeError, match="would not close"):
        await bounded(broken, report_after=0.5, give_up_after=1.0)


@pytest.mark.parametrize("holds", [False, True])
async def test_sigterm_stops_and_says_whether_cleanly(holds: bool) -> None:
    part = Part(holds=holds)
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, os.kill, os.getpid(), signal.SIGTERM)
    try:
        clean = await run_until_signalled(part, report_after=0.05, give_up_after=0.2)
        assert part.started
        assert clean is (not holds)
        assert part.stopped is (not holds)
    finally:
        part.release.set()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await asyncio.sleep(0)


# A process that stopped cleanly and is then held up on its way out: by a thread that is
# not a daemon (the interpreter joins it), or by a task that ignores the cancel asyncio.run
# sends everything left. The watch names what holds it and exits 70; without the hold
# the process ends on its own with 0.
_EXITING = """
import asyncio, sys, threading
from bot.shutdown import watch_exit

async def main(hold):
    if hold == "task":
        release = asyncio.Event()
        async def obstinate():
            while True:
                try:
                    await release.wait()
                except asyncio.CancelledError:
                    continue
        asyncio.get_running_loop().create_task(obstinate(), name="obstinate")
        await asyncio.sleep(0)
    if hold == "thread":
        threading.Thread(target=threading.Event().wait, name="held-open").start()
    watch_exit(0.3)

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.parametrize(
    ("hold", "named"), [("none", ""), ("thread", "thread held-open"), ("task", "obstinate")]
)
def test_a_process_held_up_after_a_clean_stop_names_the_hold_and_exits_70(hold: str, named: str) -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _EXITING, hold], cwd=root, capture_output=True, text=True, timeout=60
    )
    if not named:
        assert done.returncode == 0, done.stderr
        assert "did not end" not in done.stderr
        return
    assert done.returncode == 70, done.stderr
    assert "stopped, but the process did not end within 0.3s" in done.stderr
    assert named in done.stderr
