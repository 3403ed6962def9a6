"""aiosmtpd's SMTP protocol, built cheaply enough for a burst of connections.

aiosmtpd builds its command and AUTH tables on every connection, from ``dir()`` and
``inspect.getmembers()`` of the protocol: some 150 names looked up, sorted and filtered
(evaluating every property on the way) for the dozen ``smtp_*`` and ``auth_*`` methods
it keeps. That was about 0.1 ms of the event loop per connection, and uvloop accepts a
whole backlog in one loop turn, so 1,000 connections opened at once stalled every
channel for 60-170 ms. The names it keeps are fixed per class, so ``dir()`` answers them
from a per-class cache: the tables come out the same (``tests/unit/test_listener.py``).
"""

from __future__ import annotations

from typing import ClassVar

from aiosmtpd.smtp import SMTP

# What aiosmtpd's constructor looks for in dir() of the protocol (aiosmtpd/smtp.py:
# ``auth_*`` through inspect.getmembers, ``smtp_*`` through dir; ``handle_*`` hooks are
# looked up on the handler, not here).
KEPT_PREFIXES = ("auth_", "smtp_", "handle_")


class ListenerSMTP(SMTP):
    _names: ClassVar[dict[type, list[str]]] = {}

    def __dir__(self) -> list[str]:
        cls = type(self)
        names = ListenerSMTP._names.get(cls)
        if names is None:
            names = sorted(n for n in dir(cls) if n.startswith(KEPT_PREFIXES))
            ListenerSMTP._names[cls] = names
        return list(names)
