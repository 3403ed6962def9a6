"""Helpers for the webhook tests: config for the channel, a signer for inbound POSTs."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any

from tests.e2e.conftest import Home, free_port, wait_until

IN_SECRET = "whsec-inbound-test-secret"
OUT_SECRET = "whsec-outbound-test-secret"
PATH = "/hooks/payments"


def add_webhooks(home: Home, *, tolerance: int = 300, timeout: float = 1.0) -> int:
    """Configure the webhook channel (inbound listener and outbound signing); its port."""
    port = free_port()
    home.env.update({"DEPUTY_HOOK_PAYMENTS": IN_SECRET, "DEPUTY_HOOK_OUT": OUT_SECRET})
    with home.config.open("a", encoding="utf-8") as f:
        f.write(
            "[delivery]\n"
            'retry_min = "0.2s"\n'
            'retry_max = "0.5s"\n'
            "[channels.webhook]\n"
            f'listen = "127.0.0.1:{port}"\n'
            'secret_env = "DEPUTY_HOOK_OUT"\n'
            f"timeout_seconds = {timeout}\n"
            "[channels.webhook.in.payments]\n"
            f'path = "{PATH}"\n'
            'secret_env = "DEPUTY_HOOK_PAYMENTS"\n'
            f"tolerance_seconds = {tolerance}\n"
        )
    return port


def add_paid_rule(home: Home, url: str) -> None:
    (home.root / "rules" / "paid.md").write_text(
        "+++\n"
        "priority = 100\n"
        'when.channel = ["webhook"]\n'
        'when.field."data.status" = "paid"\n'
        'may = ["webhook"]\n'
        f'webhook.url = "{url}"\n'
        'webhook.payload = { invoice = "${field.data.invoice}", amount = "${field.data.amount}",'
        ' note = "paid, says ${event.sender}", event = "${event.id}" }\n'
        "+++\n"
        "Tell the ERP when a payment arrives.\n",
        encoding="utf-8",
    )


def start(home: Home, port: int) -> None:
    """Start the daemon and wait for the webhook listener too (channels start in turn)."""
    home.start()

    def listening() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    wait_until(listening, timeout=30)


def signature(body: bytes, *, secret: str = IN_SECRET, at: float | None = None) -> str:
    stamp = int(time.time() if at is None else at)
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def post(port: int, body: bytes, sig: str | None, *, path: str = PATH) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if sig is not None:
        headers["Webhook-Signature"] = sig
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def paid(event_id: str, invoice: str = "INV-7", amount: float = 120.5, status: str = "paid") -> bytes:
    doc = {
        "id": event_id,
        "type": "invoice.paid",
        "data": {"invoice": invoice, "amount": amount, "status": status},
    }
    return json.dumps(doc).encode()
