"""The work the event figures send: Pipelines batches shaped as the mobile SDK's.

Each batch holds :data:`PER_BATCH` track calls with the envelope the iOS SDK
sends (anonymous id, user id, message id, timestamps, the device, OS and app
context, trimmed to the fields the workspace reads), about 8 KB of JSON, near
the 6.7 KB batch of the reference figures in docs/benchmarks.md. Every call
has its own message id, so the workspace stores each one rather than dropping
repeats; batch ``n`` is made from one encoded template by two substitutions,
so making it costs the client microseconds.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["PER_BATCH", "Batches"]

PER_BATCH = 20  # the SDKs' default flushAt
USERS = 1000  # batches cycle over this many people
STAMP = "2026-03-02T09:00:00.000Z"
_MARK = "@N@"  # the batch's number, in every message id
_USER = "@U@"  # the batch's person: its number modulo USERS


class Batches:
    """Make batch number ``n`` of SDK-shaped track calls, as encoded bytes."""

    def __init__(self, write_key: str, per_batch: int = PER_BATCH) -> None:
        self.per_batch = per_batch
        calls = [_call(index) for index in range(per_batch)]
        document = {"batch": calls, "sentAt": STAMP, "writeKey": write_key}
        text = json.dumps(document, separators=(",", ":"))
        self._template = text.encode()

    def body(self, n: int) -> bytes:
        """Return batch ``n``; its calls' message ids appear in no other batch."""
        user = b"%d" % (n % USERS)
        return self._template.replace(_MARK_B, b"%d" % n).replace(_USER_B, user)

    @property
    def size(self) -> int:
        """Return a batch's size in bytes (give or take a few digits)."""
        return len(self._template)


_MARK_B, _USER_B = _MARK.encode(), _USER.encode()


def _call(index: int) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Product Viewed",
        "properties": {
            "product_id": f"SKU-{index:04d}",
            "price": 12.5,
            "currency": "EUR",
        },
        "messageId": f"bench-{_MARK}-{index:02d}",
        "timestamp": STAMP,
        "anonymousId": f"anon-{_USER}",
        "userId": f"user-{_USER}",
        "context": {
            "device": {"type": "ios", "model": "iPhone15,2", "token": "9f3a" * 16},
            "os": {"name": "iOS", "version": "17.4"},
            "app": {"version": "3.2.0"},
        },
    }
