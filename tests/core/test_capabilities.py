"""Connectors declare what they can do; the core asks, and names no channel. The owner's
identities are a map keyed by channel in rules/owner.md (the old keys still read)."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Mapping
from pathlib import Path

import pytest

from bot import cli
from bot.app import Deputy
from bot.channels.contract import Capabilities, Emit
from bot.channels.registry import ChannelRegistry
from bot.config import load
from bot.delivery import Delivery
from bot.effects.owner_messages import OwnerRows
from bot.errors import ConfigError
from bot.owner import OwnerProfile
from bot.rules.loader import parse_owner
from tests.core.conftest import RecordingChannel, make_home
from tests.core.helpers import mail

CHANNELS = (
    '[channels.mail]\ntype = "local"\n'
    '[channels.tg]\ntype = "telegram"\n'
    '[channels.off]\ntype = "slack"\nenabled = false\n'
)


def set_owner(tmp_path: Path, **replace: str) -> Path:
    owner_md = tmp_path / "rules" / "owner.md"
    text = owner_md.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    owner_md.write_text(text, encoding="utf-8")
    return owner_md


# ----- each connector's declaration ----------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("email", Capabilities(mail=True, threads=True, drafts=True)),
        ("local", Capabilities(mail=True, threads=True)),
        ("telegram", Capabilities(buttons=True, prompts=True, owner_key="telegram")),
        ("slack", Capabilities(buttons=True, threads=True, prompts=True, owner_key="slack")),
        ("console", Capabilities(prompts=True, wakes_owner=False)),
        ("webhook", Capabilities()),
    ],
)
def test_each_connector_declares_capabilities(kind: str, expected: Capabilities) -> None:
    module = importlib.import_module(f"connectors.{kind}")
    assert module.CAPABILITIES == expected
    assert callable(module.create) and module.SETTINGS is not None


def test_capabilities_are_frozen() -> None:
    caps = Capabilities(mail=True)
    with pytest.raises(AttributeError):
        caps.mail = False  # type: ignore[misc]


# ----- the registry ---------------------------------------------------------------------
def test_registry_from_a_config(tmp_path: Path) -> None:
    settings = load(make_home(tmp_path, extra_config=CHANNELS))
    registry = ChannelRegistry.from_settings(settings)
    assert registry.names() == ["mail", "tg", "cli", "webhook"]  # disabled ones are absent
    assert registry.configured() == ["mail", "tg"]
    assert registry.types == {"mail": "local", "tg": "telegram", "cli": "console", "webhook": "webhook"}
    assert registry.mail_channels() == ["mail"]
    assert registry.capabilities("tg").owner_key == "telegram"
    assert not registry.capabilities("cli").wakes_owner
    assert registry.capabilities("nowhere") == Capabilities()
    assert registry.module("mail").__name__ == "connectors.local"
    assert "off" not in registry and "cli" in registry
    assert registry.speaks_mail("gone", kind="email") and not registry.speaks_mail("tg", kind="email")


def test_registry_extra_connector_brings_its_capabilities(tmp_path: Path) -> None:
    settings = load(make_home(tmp_path))
    chat = ChatChannel()
    registry = ChannelRegistry.from_settings(
        settings, extra={"local": ("local", RecordingChannel()), "matrix": ("matrix", chat)}
    )
    assert registry.capabilities("local").mail  # from connectors.local
    assert registry.capabilities("matrix") == chat.capabilities
    assert registry.get("matrix") is not None and registry.get("matrix").module is None  # type: ignore[union-attr]


# ----- a new chat channel gets owner prompts, not the CLI --------------------------------
class ChatChannel(RecordingChannel):
    """A chat connector the core has never heard of."""

    capabilities = Capabilities(buttons=True, prompts=True, owner_key="matrix")

    def __init__(self) -> None:
        super().__init__("matrix")

    async def start(self, emit: Emit) -> None:
        self.emit = emit

    async def deliver(self, delivery: Delivery) -> Mapping[str, str]:
        self.delivered.append(delivery)
        return {"prompt_ref": "m1"}


def test_owner_rows_prompt_a_new_chat_channel(tmp_path: Path) -> None:
    settings = load(make_home(tmp_path))
    registry = ChannelRegistry.from_settings(settings, extra={"matrix": ("matrix", ChatChannel())})
    rows = OwnerRows(settings=settings, channels=registry)
    owner = OwnerProfile(preferred_channel="matrix", identities={"matrix": "@alex:example.org"})
    row = rows._owner_delivery(owner=owner, key="k", event_id="e", text="Which one?", subject="Q")
    assert (row.connector, row.op) == ("matrix", "prompt")


async def test_daemon_prompts_a_new_chat_channel(tmp_path: Path) -> None:
    cfg = make_home(tmp_path)
    set_owner(
        tmp_path,
        **{
            'preferred_channel = "cli"': (
                'preferred_channel = "matrix"\nidentities.matrix = "@alex:example.org"'
            ),
            'quiet_hours = ["22:00", "07:00"]': "",
        },
    )
    local, chat = RecordingChannel(), ChatChannel()
    deputy = Deputy(load(cfg), extra_connectors={"local": ("local", local), "matrix": ("matrix", chat)})
    await deputy.start()
    try:
        await local.emit(mail(sender="sam@unknown.example", subject="Odd one", text="Green widgets?"))
        for _ in range(100):
            if chat.delivered:
                break
            await asyncio.sleep(0.05)
        await deputy.drain(timeout=10)
    finally:
        await asyncio.wait_for(deputy.stop(), 30)
    assert [d.op for d in chat.delivered] == ["prompt"]
    assert "Green widgets?" in str(chat.delivered[0].payload.get("text"))


# ----- owner_channel skips a channel that cannot reach the owner -------------------------
def test_owner_channel_skips_a_channel_without_owner_identity(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load(make_home(tmp_path, extra_config=CHANNELS))
    rows = OwnerRows(settings=settings, channels=ChannelRegistry.from_settings(settings))
    owner = OwnerProfile(preferred_channel="tg", fallback_channels=("mail",), emails=("a@b.c",))
    caplog.set_level(logging.WARNING, logger="deputy")
    assert rows.owner_channel(owner) == "mail"
    assert rows.owner_channel(owner) == "mail"
    warned = [r.getMessage() for r in caplog.records if "identities.telegram" in r.getMessage()]
    assert len(warned) == 1 and "tg" in warned[0]
    known = OwnerProfile(preferred_channel="tg", identities={"telegram": "4242"})
    assert rows.owner_channel(known) == "tg"
    assert rows.owner_channel(OwnerProfile(preferred_channel="tg")) == "cli"


# ----- identities in rules/owner.md ------------------------------------------------------
def owner_text(lines: str) -> str:
    return f'+++\nname = "Alex"\n{lines}\n+++\nbody\n'


def test_identities_new_map() -> None:
    owner = parse_owner(
        Path("owner.md"),
        owner_text('identities.telegram = 4242\nidentities.slack = "U1"\nidentities.slack_team = "T1"'),
    )
    assert owner.identities == {"telegram": "4242", "slack": "U1", "slack_team": "T1"}
    assert owner.identity("telegram") == "4242" and owner.identity("matrix") == ""


def test_identities_old_keys_still_read() -> None:
    owner = parse_owner(
        Path("owner.md"), owner_text('telegram_user_id = 4242\nslack_user_id = "U1"\nslack_team_id = "T1"')
    )
    assert owner.identities == {"telegram": "4242", "slack": "U1", "slack_team": "T1"}


def test_identities_unknown_top_level_key_names_file_and_key() -> None:
    with pytest.raises(ConfigError) as err:
        parse_owner(Path("rules/owner.md"), owner_text("identitys.telegram = 1"))
    assert "rules/owner.md" in str(err.value) and "identitys: unknown key" in str(err.value)
    with pytest.raises(ConfigError) as err:
        parse_owner(Path("rules/owner.md"), owner_text('identities.slack = ""'))
    assert "rules/owner.md" in str(err.value) and "identities" in str(err.value)


def test_shipped_owner_md_shows_the_new_shape() -> None:
    text = (Path(__file__).resolve().parents[2] / "rules" / "owner.md").read_text(encoding="utf-8")
    assert "# identities.telegram = " in text and "telegram_user_id" not in text


# ----- deputy check refuses owner channels that do not exist or cannot reach the owner ---
def run_check(capsys: pytest.CaptureFixture[str], cfg: Path) -> tuple[int, str, str]:
    code = cli.main(["check", "--config", str(cfg)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_check_refuses_an_unconfigured_preferred_channel(tmp_path: Path, capsys) -> None:
    cfg = make_home(tmp_path)
    set_owner(tmp_path, **{'preferred_channel = "cli"': 'preferred_channel = "telegram"'})
    code, _, err = run_check(capsys, cfg)
    assert code != 0
    assert "owner.md: preferred_channel: channel 'telegram' is not configured" in err


def test_check_refuses_an_unconfigured_fallback_channel(tmp_path: Path, capsys) -> None:
    cfg = make_home(tmp_path)
    set_owner(tmp_path, **{"fallback_channels = []": 'fallback_channels = ["sms"]'})
    code, _, err = run_check(capsys, cfg)
    assert code != 0 and "owner.md: fallback_channels: channel 'sms' is not configured" in err


def test_check_refuses_a_channel_without_owner_identity(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPUTY_TELEGRAM_TOKEN", "4242:check-token")
    cfg = make_home(tmp_path, extra_config=CHANNELS)
    set_owner(tmp_path, **{"fallback_channels = []": 'fallback_channels = ["tg"]'})
    code, _, err = run_check(capsys, cfg)
    assert code != 0
    assert "owner.md: fallback_channels: channel 'tg' cannot reach the owner: identities.telegram" in err
    set_owner(tmp_path, **{"# identities.telegram = 123456789": "identities.telegram = 123456789"})
    code, out, _ = run_check(capsys, cfg)
    assert code == 0 and "channels: mail, tg (+ cli)" in out


def test_check_names_every_missing_secret(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """The daemon would stop at the first missing variable at start; check names them all."""
    for name in ("DEPUTY_TELEGRAM_TOKEN", "DEPUTY_SLACK_BOT_TOKEN", "DEPUTY_SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    cfg = make_home(
        tmp_path,
        extra_config='[channels.tg]\ntype = "telegram"\n[channels.team]\ntype = "slack"\n',
    )
    code, _, err = run_check(capsys, cfg)
    assert code != 0
    assert "channels.tg.token_env: environment variable DEPUTY_TELEGRAM_TOKEN is not set" in err
    assert "channels.team.bot_token_env: environment variable DEPUTY_SLACK_BOT_TOKEN is not set" in err
    monkeypatch.setenv("DEPUTY_TELEGRAM_TOKEN", "4242:check-token")
    code, _, err = run_check(capsys, cfg)
    assert code != 0 and "DEPUTY_TELEGRAM_TOKEN" not in err and "DEPUTY_SLACK_BOT_TOKEN" in err
