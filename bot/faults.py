"""Fault points: make the process die at a named point, to prove crash recovery.

``fault("after_outbox_commit")`` does nothing unless the environment variable
DEPUTY_FAULT names that point; then the process exits at once with status 86
(``os._exit``: no cleanup, no flush, no finally blocks: like a power cut).
``DEPUTY_FAULT=name:N`` fires on the N-th hit of that point instead of the first.

Points (each called in exactly one place per code path):
after_fetch, after_inbox_commit, after_llm_answer, after_outbox_commit,
after_smtp_data, after_250, after_imap_move, after_attachment_write; and
after_handoff_emit (a department hand-off, proved in tests/departments).

Failures, for faults a process survives (a full disk, a lost lock): a test calls
``inject("commit", sqlite3.OperationalError("database or disk is full"), times=N)`` and
the next N passes of ``failure("commit")`` raise that exception, in this process only.
``commit`` is checked on the database thread right before each COMMIT
(bot/store/db_thread.py), so the transaction is rolled back as SQLite would.
"""

from __future__ import annotations

import os
import sys
import threading

EXIT_CODE = 86
POINTS = (
    "after_fetch",
    "after_inbox_commit",
    "after_llm_answer",
    "after_outbox_commit",
    "after_smtp_data",
    "after_250",
    "after_imap_move",
    "after_attachment_write",
)


def _parse(spec: str) -> tuple[str, int]:
    name, _, nth = spec.partition(":")
    return name.strip(), int(nth) if nth.strip().isdigit() else 1


_SPEC = _parse(os.environ.get("DEPUTY_FAULT", ""))
_hits: dict[str, int] = {}


def fault(name: str) -> None:
    """Exit the process with status 86 if DEPUTY_FAULT selects this point (and hit)."""
    target, nth = _SPEC
    if not target or name != target:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= nth:
        sys.stderr.write(f"deputy: fault point {name} (hit {_hits[name]}): exiting with {EXIT_CODE}\n")
        sys.stderr.flush()
        os._exit(EXIT_CODE)


FAILURE_POINTS = ("commit",)
_failures: dict[str, tuple[BaseException, int]] = {}
_failures_lock = threading.Lock()  # ``failure`` runs on the database threads


def inject(name: str, exc: BaseException, *, times: int = 1) -> None:
    """Make the next ``times`` passes of ``failure(name)`` raise ``exc``."""
    if name not in FAILURE_POINTS:
        raise ValueError(f"no failure point named {name!r}")
    with _failures_lock:
        _failures[name] = (exc, times)


def remaining(name: str) -> int:
    """How many injected failures of ``name`` have not been raised yet."""
    with _failures_lock:
        return _failures.get(name, (None, 0))[1]


def clear() -> None:
    with _failures_lock:
        _failures.clear()


def failure(name: str) -> None:
    """Raise the exception injected for ``name``, while any injected passes remain."""
    if not _failures:  # the common case: one dict lookup, no lock
        return
    with _failures_lock:
        found = _failures.get(name)
        if found is None or found[1] <= 0:
            return
        exc, left = found
        _failures[name] = (exc, left - 1)
    raise exc
