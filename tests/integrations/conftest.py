"""Integrations driven through the real daemon: the e2e home, plus loopback peers."""

from __future__ import annotations

from tests.e2e.conftest import deputy, home  # noqa: F401  (fixtures shared with e2e)
