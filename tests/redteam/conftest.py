"""One daemon with a hijacked model per module (cases are isolated by fresh senders)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.redteam.cases import ALICE, ALICE_ROOT, ALICE_ROOT_TEXT
from tests.redteam.harness import Redteam


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def redteam(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Redteam]:
    rt = Redteam()
    await rt.start(tmp_path_factory.mktemp("redteam"))
    await rt.setup_alice(ALICE, ALICE_ROOT, ALICE_ROOT_TEXT)
    try:
        yield rt
    finally:
        await rt.stop()
