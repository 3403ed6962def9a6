"""Config and rule errors must name the file, the key or line, and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load
from bot.errors import ConfigError
from bot.rules import load_rulebook

ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_and_rules_load() -> None:
    settings = load(ROOT / "config.toml")
    book = load_rulebook(settings.rules_dir)
    assert book.owner.name
    assert {r.name for r in book.rules} >= {"invoices", "meetings", "newsletters"}


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config.toml", "[deputy]\nworkerz = 3\n")
    with pytest.raises(ConfigError) as err:
        load(cfg)
    assert f"{cfg}:2: deputy.workerz: unknown key" in str(err.value)


def test_wrong_type_names_key_and_expectation(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config.toml", '[limits]\nreplies_per_thread = "many"\n')
    with pytest.raises(ConfigError) as err:
        load(cfg)
    assert "limits.replies_per_thread" in str(err.value) and "integer" in str(err.value)


def test_toml_syntax_error_names_file(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config.toml", "[deputy\n")
    with pytest.raises(ConfigError) as err:
        load(cfg)
    assert str(cfg) in str(err.value)


def test_unknown_channel_key_is_named(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config.toml", '[channels.local]\ntype = "local"\nlisten_prot = 25\n')
    with pytest.raises(ConfigError) as err:
        load(cfg)
    assert "channels.local.listen_prot: unknown key" in str(err.value)


def test_unknown_connector_type(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config.toml", '[channels.fax]\ntype = "fax"\n')
    with pytest.raises(ConfigError) as err:
        load(cfg)
    assert "channels.fax.type: no connector named 'fax'" in str(err.value)


def rulebook_with(tmp_path: Path, name: str, text: str) -> str:
    write(tmp_path / "rules" / "owner.md", '+++\nname = "O"\n+++\n')
    write(tmp_path / "rules" / name, text)
    with pytest.raises(ConfigError) as err:
        load_rulebook(tmp_path / "rules")
    return str(err.value)


def test_rule_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    msg = rulebook_with(tmp_path, "bad.md", '+++\nmay = ["reply"]\nwhen.form = ["*@x.com"]\n+++\nbody\n')
    assert "bad.md:3: when.form: unknown key" in msg


def test_rule_bad_regex(tmp_path: Path) -> None:
    msg = rulebook_with(tmp_path, "re.md", '+++\nwhen.subject = "(unclosed"\n+++\n')
    assert "re.md:2: when.subject: invalid regular expression" in msg


def test_rule_toml_error_has_line(tmp_path: Path) -> None:
    msg = rulebook_with(tmp_path, "syntax.md", '+++\nmay = ["reply"]\nwhen.from = [\n+++\n')
    assert "syntax.md:" in msg and "invalid TOML" in msg


def test_rule_missing_header(tmp_path: Path) -> None:
    msg = rulebook_with(tmp_path, "plain.md", "just text\n")
    assert "plain.md:1: expected the TOML header" in msg


def test_rule_unclosed_header(tmp_path: Path) -> None:
    msg = rulebook_with(tmp_path, "open.md", '+++\nmay = ["reply"]\n')
    assert "open.md: the TOML header opened on line 1 is never closed" in msg


def test_rule_unknown_action(tmp_path: Path) -> None:
    msg = rulebook_with(tmp_path, "act.md", '+++\nmay = ["pay"]\n+++\n')
    assert "act.md:2: may.0:" in msg


def test_configured_action_must_be_allowed(tmp_path: Path) -> None:
    msg = rulebook_with(tmp_path, "file.md", '+++\nmay = ["reply"]\nfile.folder = "X"\n+++\n')
    assert "'file' is configured but not in 'may'" in msg


def test_mandate_must_be_ordered(tmp_path: Path) -> None:
    msg = rulebook_with(
        tmp_path,
        "deal.md",
        '+++\nmay = ["offer"]\nmandate = { target = 400, walk_away = 500, currency = "EUR" }\n+++\n',
    )
    assert "deal.md" in msg and "walk_away must not be above target" in msg


def test_every_broken_file_is_reported_and_none_dropped(tmp_path: Path) -> None:
    write(tmp_path / "rules" / "a.md", "+++\nmay = [\n+++\n")
    write(tmp_path / "rules" / "b.md", '+++\nmay = ["teleport"]\n+++\n')
    write(tmp_path / "rules" / "c.md", '+++\nmay = ["reply"]\n+++\nfine\n')
    with pytest.raises(ConfigError) as err:
        load_rulebook(tmp_path / "rules")
    assert "a.md" in str(err.value) and "b.md" in str(err.value)


def test_bad_owner_timezone(tmp_path: Path) -> None:
    write(tmp_path / "rules" / "owner.md", '+++\ntimezone = "Mars/Olympus"\n+++\n')
    with pytest.raises(ConfigError) as err:
        load_rulebook(tmp_path / "rules")
    assert "owner.md:2: timezone: unknown time zone" in str(err.value)
