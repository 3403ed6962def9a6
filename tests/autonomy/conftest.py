from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.autonomy.support import no_signature, write_draft_rule
from tests.e2e.conftest import Home, make_home


@pytest.fixture
def draft_home(tmp_path: Path) -> Iterator[Home]:
    """A Deputy home (local mail mode, not started) with the draft-level rule 'prices'."""
    home = make_home(tmp_path / "deputy")
    write_draft_rule(home.root / "rules")
    no_signature(home.root / "rules")
    try:
        yield home
    finally:
        home.cleanup()


# Dovecot and aiosmtpd, as the email tests run them (tests/email/conftest.py).
from tests.email.conftest import dovecot, smtp_server  # noqa: E402, F401
