"""``[peers.<name>]``: refused with file:line:key like every section, the secret only by
the name of its environment variable; and the README's peer examples hold as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.check import check
from bot.config import load
from bot.errors import ConfigError
from bot.rules.loader import parse_rule

ROOT = Path(__file__).resolve().parents[2]


def config(tmp_path: Path, peers: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[deputy]\ndata_dir = "data"\nrules_dir = "{ROOT / "rules"}"\n'
        'addresses = ["deputy@localhost", "purchasing@buyer.test"]\n' + peers,
        encoding="utf-8",
    )
    return path


def test_an_unknown_peer_key_names_file_line_and_key(tmp_path: Path) -> None:
    path = config(tmp_path, '[peers.seller]\naddresses = ["sales@seller.test"]\nsecret = "x"\n')
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}:7: peers\.seller\.secret: unknown key"):
        load(path)


def test_a_peer_address_of_our_own_is_refused(tmp_path: Path) -> None:
    path = config(tmp_path, '[peers.self]\naddresses = ["purchasing@buyer.test"]\nsecret_env = "S"\n')
    with pytest.raises(ConfigError, match=r"peers\.self\.addresses: purchasing@buyer.test is one of deputy"):
        load(path)


def test_check_names_a_missing_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DEPUTY_TEST_NO_SUCH_SECRET", raising=False)
    path = config(
        tmp_path,
        '[peers.seller]\naddresses = ["sales@seller.test"]\nsecret_env = "DEPUTY_TEST_NO_SUCH_SECRET"\n',
    )
    with pytest.raises(ConfigError) as caught:
        check(load(path))
    assert (
        f"{path}:7: peers.seller.secret_env: environment variable DEPUTY_TEST_NO_SUCH_SECRET is not set"
        in str(caught.value)
    )
    monkeypatch.setenv("DEPUTY_TEST_NO_SUCH_SECRET", "set-for-the-test")
    assert check(load(path)) == 0
    shown = capsys.readouterr().out
    assert "peer OK: seller (sales@seller.test; secret in DEPUTY_TEST_NO_SUCH_SECRET)" in shown
    assert "set-for-the-test" not in shown


def _peer_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Peers: two Deputies negotiating by mail", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```toml\n(.*?)```", section, re.S)


def test_the_readme_peer_examples_load(tmp_path: Path) -> None:
    blocks = _peer_blocks()
    assert len(blocks) == 4
    for block in blocks[:2]:
        path = config(tmp_path, block)
        assert load(path).peers  # a [peers.*] section that validates
    for block in blocks[2:]:
        rule = parse_rule(tmp_path / "widgets.md", f"+++\n{block}+++\nNegotiate.\n")
        assert rule.mandate is not None and rule.mandate.rules_only
