"""Fault points: make the process die at a named point, to prove crash recovery.

``fault("after_outbox_commit")`` does nothing unless the environment variable
DEPUTY_FAULT names that point; then the process exits at once with status 86
(``os._exit``: no cleanup, no flush, no finally blocks: like a power cut).
``DEPUTY_FAULT=name:N`` fires on the N-th hit of that point instead of the first.

Points (each called in exactly one place per code path):
after_fetch, after_inbox_commit, after_llm_answer, after_outbox_commit,
after_smtp_data, after_250, after_imap_move, after_attachment_write.
"""

from __future__ import annotations

import os
import sys

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
