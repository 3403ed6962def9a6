"""``python -m tests.e2e.debug_everything run --config X``: the real ``deputy`` CLI with
every logger at DEBUG, including the HTTP and SQL client libraries that ``bot.logs``
normally holds at WARNING (used by the canary test: redaction must not depend on them
being quiet)."""

from __future__ import annotations

import logging
import sys

import bot.logs
from bot.cli import main

_setup = bot.logs.setup


def _everything(level: str, **kwargs: object) -> bot.logs.Redactor:
    redactor = _setup(level, **kwargs)  # type: ignore[arg-type]
    for name in list(logging.root.manager.loggerDict):
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    return redactor


class _Keep(logging.Logger):
    """Libraries (and our connectors) may set levels later: keep everything at DEBUG."""

    def setLevel(self, level: int | str) -> None:
        super().setLevel(logging.DEBUG)


bot.logs.setup = _everything  # type: ignore[assignment]
logging.setLoggerClass(_Keep)
for _name in list(logging.root.manager.loggerDict):
    _logger = logging.root.manager.loggerDict[_name]
    if isinstance(_logger, logging.Logger):
        _logger.__class__ = _Keep

if __name__ == "__main__":
    sys.exit(main())
