"""A SIGKILL-like crash during a hand-off, for real: the daemon subprocess (real SMTP in,
the example organisation) dies at the fault point right after the target's event is
committed and before the outbox row is marked sent. After a restart there is exactly one
event at the target and exactly one result back at the sender."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.faults import EXIT_CODE
from tests.departments.conftest import EXAMPLE
from tests.e2e.conftest import Home, free_port, mail, wait_until

TIMEOUT = 60.0  # generous, never asserted


def _home(root: Path) -> Home:
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("data"))
    port = free_port()
    cfg = root / "config.toml"
    cfg.write_text(cfg.read_text().replace("listen_port = 2525", f"listen_port = {port}"))
    return Home(root=root, port=port)


@pytest.mark.parametrize("nth", [1, 2], ids=["question-delivered", "result-delivered"])
def test_a_crash_during_a_hand_off_gives_one_event_and_one_result(tmp_path: Path, nth: int) -> None:
    home = _home(tmp_path / "org")
    try:
        home.env["DEPUTY_FAULT"] = f"after_handoff_emit:{nth}"
        home.start()
        mid = "<discount-1@client.test>"
        home.send(
            mail(
                sender="buyer@client.test",
                subject="Order 77",
                message_id=mid,
                text="Could you give us a discount of 150 EUR on the order?",
                to="sales@example.test",
            )
        )
        proc = home.proc
        assert proc is not None
        assert proc.wait(timeout=TIMEOUT) == EXIT_CODE, home.last_log()
        home.proc = None
        delivered = home.query("SELECT COUNT(*) FROM outbox WHERE connector='departments' AND state='sent'")
        assert delivered[0][0] == nth - 1, "the row whose event was committed is not marked sent"

        del home.env["DEPUTY_FAULT"]
        home.start()
        wait_until(home.drained, timeout=TIMEOUT, interval=0.1)
        wait_until(
            lambda: home.query("SELECT COUNT(*) FROM inbox WHERE body LIKE '%handoff_result%'")[0][0],
            timeout=TIMEOUT,
        )
        wait_until(home.drained, timeout=TIMEOUT, interval=0.1)
        assert home.stop() == 0, home.last_log()

        questions = home.query(
            "SELECT id, state FROM inbox WHERE channel='departments' AND body LIKE ?",
            ('%"handoff_kind": "question"%',),
        )
        results = home.query('SELECT id, state FROM inbox WHERE body LIKE \'%"handoff_result": "1"%\'')
        assert [r["state"] for r in questions] == ["done"], "exactly one question at accounts"
        assert [r["state"] for r in results] == ["done"], "exactly one result back at sales"
        decided = home.query("SELECT rule FROM audit WHERE event_id = ?", (questions[0]["id"],))
        assert [r["rule"] for r in decided] == ["accounts/discounts"], "decided once, by accounts"
        rows = home.query("SELECT state FROM outbox WHERE connector='departments'")
        assert [r["state"] for r in rows] == ["sent", "sent"]
        assert not home.outbox(), "nothing went to the buyer: sales has only heard back"
    finally:
        home.cleanup()
