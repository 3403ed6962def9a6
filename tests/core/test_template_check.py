"""`deputy check` and rule loading refuse a template that would go out broken, naming
the file, the line and the placeholder; the daemon does not start with one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Deputy
from bot.check import check
from bot.config import load
from bot.errors import ConfigError
from tests.core.conftest import RecordingChannel, make_home

MEETINGS = '''+++
description = "Meeting requests get an acknowledgement"
when.keywords = ["meeting", "call"]
may = ["reply", "follow_up"]
reply.template = """
Hi {greeting},

thanks for reaching out. $owner_name will get back to you shortly.

$signature
"""
follow_up = {{ after = "2d", max = 1, template = "{nudge}" }}
+++
Acknowledge meeting requests politely.
'''


def home(tmp_path: Path, *, greeting: str = "$first_name", nudge: str = "") -> Path:
    cfg = make_home(tmp_path)
    (tmp_path / "rules" / "meetings.md").write_text(MEETINGS.format(greeting=greeting, nudge=nudge), "utf-8")
    return cfg


def problems(cfg: Path) -> str:
    with pytest.raises(ConfigError) as err:
        check(load(cfg))
    return str(err.value)


def test_misspelled_placeholder_names_file_line_and_known_ones(tmp_path: Path) -> None:
    message = problems(home(tmp_path, greeting="$firstname"))
    path = tmp_path / "rules" / "meetings.md"
    assert f"{path}:6: reply.template: unknown placeholder $firstname (known: $first_name, " in message
    assert "did you mean $first_name?" in message


def test_braced_unknown_placeholder(tmp_path: Path) -> None:
    assert "reply.template: unknown placeholder ${vorname}" in problems(home(tmp_path, greeting="${vorname}"))


def test_unclosed_brace_is_malformed(tmp_path: Path) -> None:
    message = problems(home(tmp_path, greeting="${first_name"))
    assert ":6: reply.template: malformed placeholder at '${first_name'" in message


def test_lone_dollar_is_malformed_and_double_dollar_is_fine(tmp_path: Path) -> None:
    assert "malformed placeholder at '$ 50" in problems(home(tmp_path, greeting="$first_name, it costs $ 50"))
    assert check(load(home(tmp_path / "ok", greeting="$first_name, it costs $$50"))) == 0


def test_follow_up_template_is_checked_too(tmp_path: Path) -> None:
    message = problems(home(tmp_path, nudge="Hello $frist_name, any news?"))
    assert ":12: follow_up.template: unknown placeholder $frist_name" in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    message = problems(home(tmp_path, greeting="$firstname $sendername", nudge="Hi $nam"))
    assert message.count("unknown placeholder") == 3


async def test_daemon_refuses_to_start_with_a_broken_template(tmp_path: Path) -> None:
    deputy = Deputy(
        load(home(tmp_path, greeting="$firstname")), extra_connectors={"local": ("local", RecordingChannel())}
    )
    try:
        with pytest.raises(ConfigError, match="unknown placeholder"):
            await deputy.start()
    finally:
        await deputy.stop()


def test_shipped_rules_use_known_placeholders(tmp_path: Path) -> None:
    assert check(load(make_home(tmp_path))) == 0
