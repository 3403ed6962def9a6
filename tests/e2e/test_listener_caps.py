"""Idle connections must not lock new mail out. The real daemon, with its file
descriptors limited as a small server's would be, gets more idle SMTP connections than
it can hold; a real client must still get a banner and deliver, and the log must say
what happened once, not once per connection."""

from __future__ import annotations

import resource
import smtplib
import socket

from tests.e2e.conftest import Home, mail, wait_until

FD_LIMIT = 160  # the daemon's own files and sockets take a few dozen of these
IDLE = 200  # more idle connections than the daemon has descriptors for


def test_idle_connections_do_not_lock_out_new_mail(deputy: Home) -> None:
    assert deputy.proc is not None
    resource.prlimit(deputy.proc.pid, resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))
    idle: list[socket.socket] = []
    try:
        for _ in range(IDLE):
            conn = socket.create_connection(("127.0.0.1", deputy.port), timeout=30)
            conn.setblocking(False)  # opened and left idle; the banner is never read
            idle.append(conn)
        with smtplib.SMTP("127.0.0.1", deputy.port, timeout=20) as client:
            client.send_message(
                mail(
                    sender="ap@acme-supplies.com",
                    subject="Invoice 5",
                    message_id="<cap-5@acme>",
                    text="Total: 75 EUR",
                )
            )
        assert wait_until(lambda: deputy.replies_to("<cap-5@acme>"), timeout=60)
    finally:
        for conn in idle:
            conn.close()
    log = deputy.last_log()
    assert log.count("closing the idlest") == 1, log[-3000:]
