"""The core's config loader validates our sections with SETTINGS (extra="forbid")."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load
from bot.errors import ConfigError
from connectors.slack import SlackSettings
from connectors.telegram import TelegramSettings


def test_sections_load_through_the_core(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[channels.telegram]\nmode = "webhook"\nwebhook_url = "https://x/tg"\n'
        '[channels.work]\ntype = "slack"\nenabled = true\nmode = "http"\n',
        encoding="utf-8",
    )
    settings = load(config)
    assert set(settings.channels) == {"telegram", "work"}
    assert TelegramSettings.model_validate(settings.channels["telegram"]).mode == "webhook"
    work = {k: v for k, v in settings.channels["work"].items() if k != "type"}
    assert SlackSettings.model_validate(work).mode == "http"


def test_typo_names_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[channels.telegram]\ntoken = "123:abc"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"channels\.telegram\.token: unknown key"):
        load(config)
