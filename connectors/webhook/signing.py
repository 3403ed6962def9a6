"""HMAC-SHA256 signatures over a timestamp and the exact body bytes.

The scheme is the common one (Stripe's ``Stripe-Signature``, Slack's ``v0=``): the
signed string is ``"<unix seconds>.<body>"`` and the header reads
``t=<unix seconds>,v1=<hex digest>``. Covering the timestamp lets a receiver refuse a
captured request replayed outside its window; covering the body bytes, not a re-encoding,
means nothing between signer and verifier may reformat the JSON.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


class SignatureRefused(Exception):
    """Why a request is not accepted as signed by the source; the text is safe to log."""


@dataclass(frozen=True, slots=True)
class Signed:
    timestamp: int
    digest: str  # the v1 value that matched


def digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` signed at ``timestamp``."""
    return f"t={timestamp},v1={digest(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance: float) -> Signed:
    """The signature in ``header`` if it is genuine and fresh; else ``SignatureRefused``.

    Several ``v1`` values may appear (a provider rolling its secret signs with both)."""
    if not header:
        raise SignatureRefused("no signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise SignatureRefused("malformed signature header")
    expected = digest(secret, timestamp, body)
    # compare_digest: a byte-by-byte compare would leak the digest through timing.
    match = next((c for c in candidates if hmac.compare_digest(c, expected)), None)
    if match is None:
        raise SignatureRefused("signature does not match")
    if abs(now - timestamp) > tolerance:
        raise SignatureRefused(f"timestamp outside the {tolerance:g} s window")
    return Signed(timestamp=timestamp, digest=match)
