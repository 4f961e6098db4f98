"""The signature of a delivery, and its check (what a receiver does; docs/integration.md shows it).

    X-Shaobao-Timestamp: 1714380000                (Unix seconds when this attempt was sent)
    X-Shaobao-Signature: sha256=<hex>              (HMAC-SHA256, key = the subscription's secret,
                                                    message = timestamp + "." + raw body bytes)

A receiver recomputes the HMAC over the raw body it received, compares in constant time, and refuses a
timestamp more than `tolerance` seconds away from its clock (a captured request cannot be replayed later).
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Shaobao-Timestamp"
SIGNATURE_HEADER = "X-Shaobao-Signature"
EVENT_HEADER = "X-Shaobao-Event"
DELIVERY_HEADER = "X-Shaobao-Delivery"
DEFAULT_TOLERANCE = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{int(timestamp)}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str,
    body: bytes,
    timestamp: str | int,
    signature: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """True when `signature` is this body's with this secret and the timestamp is recent."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), str(signature or ""))
