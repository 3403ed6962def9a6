"""Webhooks through the real daemon: signed POSTs in, signed POSTs out.

The daemon runs as a subprocess; inbound POSTs come from stdlib urllib, outbound ones
reach a loopback aiohttp receiver that checks the HMAC with its own code and applies each
Idempotency-Key once. Crashes are real SIGKILLs.
"""

from __future__ import annotations

import json
import time

from tests.e2e.conftest import Home, wait_until
from tests.e2e.servers import Threaded
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integrations.hooks import OUT_SECRET, add_paid_rule, add_webhooks, paid, post, signature, start


def _webhook_events(home: Home) -> list[str]:
    return [r[0] for r in home.query("SELECT id FROM inbox WHERE id LIKE 'webhook:%' ORDER BY id")]


def test_forged_stale_and_replayed_posts_are_refused_and_a_genuine_one_is_stored(home: Home) -> None:
    port = add_webhooks(home, tolerance=60)
    start(home, port)
    body = paid("evt_1")

    forged = signature(body, secret="not-the-secret")
    assert post(port, body, forged)[0] == 401
    assert post(port, body, None)[0] == 401
    tampered = paid("evt_1", amount=9999)
    assert post(port, tampered, signature(body))[0] == 401  # a signature covers the body
    assert post(port, body, signature(body, at=time.time() - 120))[0] == 401  # stale
    assert post(port, body, signature(body, at=time.time() + 120))[0] == 401  # from the future
    assert post(port, b"[1, 2]", signature(b"[1, 2]"))[0] == 400
    assert _webhook_events(home) == []

    genuine = signature(body)
    status, answer = post(port, body, genuine)
    assert (status, answer["duplicate"]) == (200, False)
    # Answered only after the event was committed: it is in the inbox now.
    assert _webhook_events(home) == ["webhook:payments:evt_1"]
    assert post(port, body, genuine)[0] == 409  # the same signed request again

    # A provider's retry of the same event, signed anew: accepted, but one event.
    status, answer = post(port, body, signature(body, at=time.time() - 5))
    assert (status, answer["duplicate"]) == (200, True)

    # The seen signatures are durable: a crash and a restart do not reopen the window.
    home.kill()
    start(home, port)
    assert post(port, body, genuine)[0] == 409
    assert _webhook_events(home) == ["webhook:payments:evt_1"]


def test_a_genuine_webhook_drives_a_rule_whose_post_is_signed_and_retried_with_one_key(home: Home) -> None:
    script = ["500", "hang", "ok"]
    receiver = Threaded(lambda: WebhookReceiver(secret=OUT_SECRET, script=script, hang_seconds=3))
    try:
        port = add_webhooks(home, timeout=1.0)
        add_paid_rule(home, receiver.fake.url)
        start(home, port)
        assert post(port, paid("evt_2", status="open"), signature(paid("evt_2", status="open")))[0] == 200
        assert post(port, paid("evt_3"), signature(paid("evt_3")))[0] == 200
        wait_until(lambda: receiver.fake.applied, timeout=60)
        wait_until(home.drained, timeout=30)
        got = receiver.fake.received
        assert len(got) == 3, "one POST (only the paid event matches when.field), tried three times"
        assert len({r.key for r in got}) == 1 and got[0].key, "every retry carries the same Idempotency-Key"
        assert len({r.body for r in got}) == 1
        assert all(r.valid_signature for r in got)
        assert json.loads(got[0].body) == {
            "invoice": "INV-7",
            "amount": 120.5,  # a whole placeholder keeps its JSON type
            "note": "paid, says payments",
            "event": "webhook:payments:evt_3",
        }
        rows = home.query("SELECT state, attempts FROM outbox WHERE connector='webhook'")
        assert [(r["state"], r["attempts"]) for r in rows] == [("sent", 3)]
    finally:
        receiver.close()


def test_a_webhook_out_happens_once_across_sigkills(home: Home) -> None:
    receiver = Threaded(lambda: WebhookReceiver(secret=OUT_SECRET, script=["hold"]))
    try:
        port = add_webhooks(home)
        add_paid_rule(home, receiver.fake.url)
        start(home, port)
        assert post(port, paid("evt_5"), signature(paid("evt_5")))[0] == 200
        # Killed while the receiver holds the request: the send is in doubt.
        wait_until(lambda: receiver.fake.received, timeout=30)
        home.kill()
        receiver.run(receiver.fake.release())
        start(home, port)
        wait_until(lambda: len(receiver.fake.received) >= 2, timeout=30)
        wait_until(home.drained, timeout=30)
        # Killed again after the delivery was recorded: nothing is sent again.
        home.kill()
        start(home, port)
        assert post(port, paid("evt_5"), signature(paid("evt_5")))[1]["duplicate"] is True
        wait_until(home.drained, timeout=30)
        got = receiver.fake.received
        assert len({r.key for r in got}) == 1 and len(got) == 2, [r.key for r in got]
        assert len(receiver.fake.applied) == 1, "the receiver applied the key once"
        rows = home.query("SELECT state FROM outbox WHERE connector='webhook'")
        assert [r["state"] for r in rows] == ["sent"]
    finally:
        receiver.close()
