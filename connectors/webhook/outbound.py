"""One outbox row becomes one signed JSON POST.

The body is encoded once and those exact bytes are signed and sent. ``Idempotency-Key``
carries the outbox key: a resend after a crash (the row in doubt) or after a 5xx carries
the same key and the same body, so a receiver that honours the key applies it once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

import aiohttp

from bot.delivery import Delivery
from bot.errors import PermanentError
from connectors.webhook.errors import for_status, translate
from connectors.webhook.signing import sign


def body_of(delivery: Delivery) -> bytes:
    payload = delivery.payload.get("payload", {})
    return json.dumps(
        payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    ).encode()


def headers_of(delivery: Delivery, body: bytes, *, secret: str, header: str, now: int) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Idempotency-Key": delivery.key, "User-Agent": "Deputy"}
    if secret:
        headers[header] = sign(secret, now, body)
    return headers


async def post(
    session: aiohttp.ClientSession, delivery: Delivery, *, secret: str, header: str
) -> Mapping[str, str]:
    if "url" not in delivery.payload:
        raise PermanentError("webhook: a webhook source takes no replies, only a rule's URL is called")
    url = str(delivery.payload["url"])
    if not url.startswith(("http://", "https://")):
        raise PermanentError("webhook: the URL must start with http:// or https://")
    body = body_of(delivery)
    # Signed at each attempt: a retry hours later needs a fresh timestamp to be accepted.
    headers = headers_of(delivery, body, secret=secret, header=header, now=int(time.time()))
    try:
        async with session.post(url, data=body, headers=headers) as response:
            error = for_status(url, response.status, response.headers.get("Retry-After"))
            if error is not None:
                raise error
            return {"status": str(response.status)}
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        raise translate(exc, url=url) from exc
