"""The daemon's event loop is chosen by [deputy] event_loop."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

from bot import event_loop
from bot.config import load
from bot.errors import ConfigError


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_asyncio_runs_the_standard_loop() -> None:
    assert event_loop.run(_loop_module(), kind="asyncio").startswith("asyncio")
    assert event_loop.name("asyncio") == "asyncio"


@pytest.mark.skipif(
    importlib.util.find_spec("uvloop") is None, reason="uvloop is not installed (it has no Windows build)"
)
def test_uvloop_runs_uvloop_when_installed() -> None:
    assert event_loop.run(_loop_module(), kind="uvloop").startswith("uvloop")
    assert event_loop.name("uvloop") == "uvloop"


def test_an_unknown_loop_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[deputy]\nevent_loop = "trio"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="event_loop"):
        load(cfg)
