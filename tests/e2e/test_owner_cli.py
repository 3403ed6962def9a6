"""The owner who uses the command line has the commands a chat owner has: pause, resume,
pending, undo N and task cancel ID, carried out by the running daemon."""

from __future__ import annotations

from tests.e2e.conftest import INVOICE_TEXT, Home, mail, wait_until


def _audit_has(home: Home, reason: str) -> bool:
    rows = home.query("SELECT COUNT(*) FROM audit WHERE reasons LIKE ?", (f"%{reason}%",))
    return bool(rows[0][0])


def test_pause_holds_a_reply_resume_lets_the_next_go(deputy: Home) -> None:
    done = deputy.cli("pause")
    assert done.returncode == 0, done.stderr
    assert "'pause' recorded" in done.stdout
    wait_until(lambda: _audit_has(deputy, "command pause"), timeout=30)

    deputy.send(
        mail(sender="billing@acme-supplies.com", subject="Invoice 1", message_id="<i1@a>", text=INVOICE_TEXT)
    )
    wait_until(
        lambda: deputy.query("SELECT COUNT(*) FROM escalations WHERE state='open'")[0][0] == 1, timeout=30
    )
    assert deputy.replies_to("<i1@a>") == []  # paused: asked, not sent

    pending = deputy.cli("pending")
    assert pending.returncode == 0 and "Invoice 1" in pending.stdout

    assert deputy.cli("resume").returncode == 0
    wait_until(lambda: _audit_has(deputy, "command resume"), timeout=30)
    deputy.send(
        mail(sender="billing@acme-supplies.com", subject="Invoice 2", message_id="<i2@a>", text=INVOICE_TEXT)
    )
    wait_until(lambda: len(deputy.replies_to("<i2@a>")) == 1, timeout=30)


def test_undo_moves_a_filed_message_back(deputy: Home) -> None:
    deputy.send(
        mail(sender="billing@acme-supplies.com", subject="Invoice 3", message_id="<i3@a>", text=INVOICE_TEXT)
    )
    wait_until(lambda: len(deputy.replies_to("<i3@a>")) == 1, timeout=30)
    wait_until(
        lambda: deputy.query("SELECT COUNT(*) FROM outbox WHERE op='file' AND state='sent'")[0][0] == 1,
        timeout=30,
    )
    filed = deputy.query("SELECT seq FROM outbox WHERE op='file' AND state='sent'")
    assert len(filed) == 1
    assert deputy.cli("undo", str(filed[0]["seq"])).returncode == 0
    wait_until(lambda: _audit_has(deputy, "command undo"), timeout=30)
    key = f"undo:{filed[0]['seq']}"
    wait_until(
        lambda: (
            [tuple(r) for r in deputy.query("SELECT state FROM outbox WHERE key=?", (key,))] == [("sent",)]
        ),
        timeout=30,
    )


def test_task_cancel_names_what_it_did(deputy: Home) -> None:
    missing = deputy.cli("task", "cancel", "99")
    assert missing.returncode == 1 and "no open task #99" in missing.stderr
