"""The command line, in-process: `try` has no side effect, and the read-only commands
work on a fresh home."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot import cli
from tests.core.conftest import make_home


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_try_text_shows_rule_and_actions_without_side_effects(tmp_path: Path, capsys) -> None:
    cfg = make_home(tmp_path)
    code, out, _ = run(
        capsys,
        "try",
        "--config",
        str(cfg),
        "--from",
        "ap@acme-supplies.com",
        "--subject",
        "Invoice 5",
        "--text",
        "Please find invoice 5 attached. Total due: 150.00 EUR",
        "--json",
    )
    assert code == 0
    report = json.loads(out)
    assert report["governing_rule"] == "invoices"
    assert [a["type"] for a in report["allowed"]] == ["File", "Reply"]
    assert report["facts"]["amounts"][0]["value"] == "150.00"
    assert not (tmp_path / "data").exists()  # no database, no outbox: nothing happened


def test_try_an_invoice_without_a_readable_amount_asks(tmp_path: Path, capsys) -> None:
    """The shipped invoices rule has an amount limit: an invoice it cannot check is a
    question, with the reply it would have sent shown in full, and the filing done."""
    cfg = make_home(tmp_path)
    args = ("try", "--config", str(cfg), "--from", "ap@acme-supplies.com", "--subject", "Invoice 5")
    code, out, _ = run(capsys, *args, "--text", "see attached", "--json")
    report = json.loads(out)
    assert code == 0 and [a["type"] for a in report["allowed"]] == ["File", "Escalate"]
    question = report["allowed"][1]["question"]
    assert "no amount I can read" in question and "It will be paid this week" in question


def test_try_eml_file_with_bulk_headers_suppresses_the_reply(tmp_path: Path, capsys) -> None:
    cfg = make_home(tmp_path)
    msg = EmailMessage()
    msg["From"] = "ap@acme-supplies.com"
    msg["To"] = "deputy@localhost"
    msg["Subject"] = "Invoice 6"
    msg["Precedence"] = "bulk"
    msg["Message-ID"] = "<t6@acme-supplies.com>"
    msg.set_content("automatic invoice, total 120.00 EUR")
    eml = tmp_path / "m.eml"
    eml.write_bytes(msg.as_bytes())
    code, out, _ = run(capsys, "try", str(eml), "--config", str(cfg), "--json")
    report = json.loads(out)
    assert code == 0 and report["no_reply_reason"].startswith("Precedence: bulk")
    assert [a["type"] for a in report["allowed"]] == ["File"]
    assert [a["type"] for a in report["suppressed_by_etiquette"]] == ["Reply"]


def test_try_unmatched_says_it_would_ask(tmp_path: Path, capsys) -> None:
    cfg = make_home(tmp_path)
    code, out, _ = run(capsys, "try", "--config", str(cfg), "--from", "x@y.com", "--subject", "Hello")
    assert code == 0 and "none (Deputy would ask you)" in out and "Escalate" in out


def test_read_only_commands_on_a_fresh_home(tmp_path: Path, capsys) -> None:
    cfg = make_home(tmp_path)
    assert run(capsys, "check", "--config", str(cfg))[0] == 0
    code, out, _ = run(capsys, "rules", "--config", str(cfg))
    assert code == 0 and "invoices" in out
    # No daemon ever ran here: the commands that read its database say so, and create none.
    for argv in (("inbox",), ("log", "--json"), ("answer", "99", "hello")):
        code, _, err = run(capsys, argv[0], "--config", str(cfg), *argv[1:])
        assert code == 1 and "no database at" in err and "deputy run" in err, (argv, err)
    assert not (tmp_path / "data" / "deputy.sqlite3").exists()


def test_bad_config_exits_2_naming_the_key(tmp_path: Path, capsys) -> None:
    cfg = make_home(tmp_path, extra_config="[llm]\nmodle = 'x'\n")
    code, _, err = run(capsys, "check", "--config", str(cfg))
    assert code == 2 and "llm.modle: unknown key" in err


def test_check_validates_standing_tasks(tmp_path: Path, capsys) -> None:
    cfg = make_home(tmp_path)
    tasks = tmp_path / "rules" / "tasks.toml"
    tasks.write_text('[[task]]\nname = "weekly"\nto = ["a@b.com"]\ntext = "Hi"\nevery = "monday 09:00"\n')
    code, out, _ = run(capsys, "check", "--config", str(cfg))
    assert code == 0 and "standing tasks OK: 1" in out
    tasks.write_text('[[task]]\nname = "weekly"\nto = ["a@b.com"]\ntext = "Hi"\nevery = "someday"\n')
    code, _, err = run(capsys, "check", "--config", str(cfg))
    assert code == 2 and "tasks.toml: task 'weekly'" in err


def test_version_and_config_before_the_subcommand(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith("deputy ")
    cfg = make_home(tmp_path)
    code, out, _ = run(capsys, "--config", str(cfg), "rules")
    assert code == 0 and "invoices" in out


def test_inbox_as_json(tmp_path: Path, capsys) -> None:
    import asyncio

    from bot.store import Store

    cfg = make_home(tmp_path)
    code, _, err = run(capsys, "inbox", "--config", str(cfg), "--json")
    assert code == 1 and "no database at" in err  # never a new empty one

    async def create() -> None:
        store = Store(tmp_path / "data" / "deputy.sqlite3")
        await store.open()
        await store.close()

    asyncio.run(create())
    code, out, _ = run(capsys, "inbox", "--config", str(cfg), "--json")
    assert code == 0 and json.loads(out) == []


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path: Path) -> None:
    """`deputy rules | head -1`: writing to a pipe nobody reads raises EPIPE at once."""
    import subprocess
    import sys

    cfg = make_home(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "rules", "--config", str(cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before Deputy writes a byte
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_check_refuses_a_missing_owner_file(tmp_path: Path, capsys) -> None:
    cfg = make_home(tmp_path)
    (tmp_path / "rules" / "owner.md").unlink()
    code, _, err = run(capsys, "check", "--config", str(cfg))
    assert code == 2 and "owner.md: missing" in err


def test_config_errors_name_the_line_and_a_bom_is_accepted(tmp_path: Path, capsys) -> None:
    cfg = make_home(tmp_path)
    cfg.write_bytes(b"\xef\xbb\xbf" + cfg.read_bytes())  # a byte-order mark from an editor
    code, _, err = run(capsys, "check", "--config", str(cfg))
    assert code == 0, err
    text = cfg.read_text(encoding="utf-8-sig") + '[llm]\nenabled = true\nbase_url = "localhost:11434/v1"\n'
    cfg.write_text(text, encoding="utf-8")
    line = text.splitlines().index('base_url = "localhost:11434/v1"') + 1
    code, _, err = run(capsys, "check", "--config", str(cfg))
    assert code == 2
    assert f"{cfg}:{line}: llm.base_url: Value error, must start with http:// or https://" in err


def test_check_warns_about_a_pattern_that_is_not_linear_time_safe(tmp_path: Path, capsys) -> None:
    cfg = make_home(tmp_path)
    rule = tmp_path / "rules" / "backref.md"
    rule.write_text('+++\nwhen.body = "(\\\\w+) \\\\1"\nmay = ["ignore"]\n+++\nDoubled words.\n')
    code, out, _ = run(capsys, "check", "--config", str(cfg))
    assert code == 0
    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "backref.md: when.body" in warnings[0] and "linear-time" in warnings[0]


def test_a_connection_cap_of_zero_is_refused_with_its_line(tmp_path: Path, capsys) -> None:
    cfg = make_home(tmp_path, extra_config='[channels.local]\ntype = "local"\nmax_connections = 0\n')
    code, _, err = run(capsys, "check", "--config", str(cfg))
    line = cfg.read_text().splitlines().index("max_connections = 0") + 1
    assert code == 2 and f"config.toml:{line}: channels.local.max_connections" in err, err
