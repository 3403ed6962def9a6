"""The heap built at start-up, kept out of the garbage collector's full passes.

A full (generation 2) collection walks every object the collector tracks, on whichever
thread allocates at that moment, holding the GIL: in the daemon that is the loop's
thread or a parse thread, and the walk covers the hundred thousand and more objects of
the imported libraries, the config and the rules, none of which ever becomes garbage.
It ran whenever enough new objects had been made, and a burst of 1,000 connections made
enough: that one collection stalled the event loop 150-400 ms (``bench/fault_soak.py``).
``gc.freeze`` (Python 3.7+) moves what is alive after start-up into a permanent
generation that collections skip, so a full pass walks only what was made since. What
start-up left as garbage is collected first, so nothing is kept that would be freed.
"""

from __future__ import annotations

import gc


def freeze() -> int:
    """Collect, then freeze what is alive: call once the daemon has started. Returns
    how many objects are frozen. One full collection now, while nothing waits on it."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def unfreeze() -> None:
    """Back to normal collection (a test that froze a shared process's heap)."""
    gc.unfreeze()
