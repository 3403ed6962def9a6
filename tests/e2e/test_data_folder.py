"""The data folder changed under the daemon's feet: a deleted database, a deleted lock
file, a CLI command where no database is. Each must be loud, never silent."""

from __future__ import annotations

import smtplib

import pytest

from tests.e2e.conftest import Home, free_port, mail, wait_until, write_config


def test_a_deleted_database_stops_intake_with_451_and_tells_the_owner(deputy: Home) -> None:
    deputy.send(
        mail(
            sender="ap@acme-supplies.com", subject="Invoice 1", message_id="<db-1@acme>", text="Total: 75 EUR"
        )
    )
    wait_until(lambda: deputy.replies_to("<db-1@acme>"), timeout=60)
    deputy.db_path.unlink()
    with pytest.raises(smtplib.SMTPDataError) as refused:
        deputy.send(
            mail(
                sender="ap@acme-supplies.com",
                subject="Invoice 2",
                message_id="<db-2@acme>",
                text="Total: 75 EUR",
            )
        )
    code, text = refused.value.smtp_code, refused.value.smtp_error.decode()
    assert code == 451 and text.startswith("4.3.0") and "was deleted" in text, (code, text)
    owner_log = deputy.data / "owner.log"
    assert "Deputy stopped taking mail" in owner_log.read_text()
    with pytest.raises(smtplib.SMTPDataError):  # still refused, and said once
        deputy.send(
            mail(
                sender="ap@acme-supplies.com",
                subject="Invoice 3",
                message_id="<db-3@acme>",
                text="Total: 75 EUR",
            )
        )
    assert deputy.last_log().count("not accepting mail until Deputy is restarted") == 1
    assert owner_log.read_text().count("Deputy stopped taking mail") == 1


def test_a_deleted_lock_file_does_not_let_a_second_daemon_run(deputy: Home) -> None:
    (deputy.data / "deputy.lock").unlink()
    second = deputy.root / "second.toml"
    second.write_text(write_config(deputy.root, free_port()).read_text())
    write_config(deputy.root, deputy.port)  # the first daemon's config as it was
    out = deputy.cli("run", config=second, timeout=60)
    assert out.returncode != 0, out.stdout + out.stderr
    assert "another Deputy" in out.stdout + out.stderr


def test_cli_commands_never_create_a_database(home: Home) -> None:
    for command in (("inbox",), ("log",), ("answer", "1", "yes"), ("memory",)):
        out = home.cli(*command)
        assert out.returncode == 1, (command, out.stdout, out.stderr)
        assert f"no database at {home.db_path}" in out.stderr and "deputy run" in out.stderr
    assert not home.db_path.exists()
    assert home.cli("rules").returncode == 0  # the rule files alone need none
    assert not home.db_path.exists()
