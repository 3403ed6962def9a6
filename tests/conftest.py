"""Suite-wide settings: the per-test time limit (pyproject's ``timeout``) is lifted for the
opt-in soaks, which run for as long as they are asked to."""

from __future__ import annotations

import os

import pytest

LONG_RUNS = ("DEPUTY_SOAK", "DEPUTY_CRASH_MAILS", "DEPUTY_CRASH_KILLS")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if any(os.environ.get(name) for name in LONG_RUNS):
        for item in items:
            item.add_marker(pytest.mark.timeout(0))
