"""Web push on the wire (RFC 8030): headers checked, 201 with a Location out.

Error bodies are ``{"reason": ..., "message": ...}``: Safari's push service
answers with a ``reason`` in the same way; Chrome's and Firefox's bodies differ
and senders do not parse them, so one shape serves all three here.

Also holds :func:`decrypt`, which the emulated browser uses to read a message
with its own private key (RFC 8291, ``aes128gcm``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

from harness.push import _numbers
from harness.push.notification import Verdict
from harness.push.webpush.errors import Rejected
from harness.push.webpush.model import (
    MAX_TTL,
    VapidAuth,
    WebPushRequest,
    WebPushService,
)
from harness.wire.asgi import Reply, unmatched_text

MAX_BODY = 4096
URGENCIES = ("very-low", "low", "normal", "high")
STATUS = {
    "PayloadTooLarge": 413,
    "MissingAuthorization": 401,
    "BadJwtToken": 403,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "Unsubscribed": 410,
}
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def handle_push(
    service: WebPushService,
    origin: str,
    subscription: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Reply:
    """Answer a POST to a push subscription's endpoint."""
    url = service.endpoint_url(origin, subscription)
    try:
        request = parse_push(origin, subscription, headers, body)
        acceptance = service.send(request)
    except Rejected as error:
        status = STATUS.get(error.reason, 400)
        dead, gone = status in (404, 410), error.unsubscribed_at
        verdict = Verdict("webpush", url, False, status, error.reason, dead, gone, None)
        service.settle(verdict, detail=error.detail)
        return _json(status, {"reason": error.reason, "message": error.detail})
    location = acceptance.location
    verdict = Verdict("webpush", url, True, 201, None, False, None, location)
    service.settle(verdict, acceptance=acceptance)
    return Reply(201, {"location": location, "ttl": str(acceptance.ttl)})


def parse_push(
    origin: str, subscription: str, headers: Mapping[str, str], body: bytes
) -> WebPushRequest:
    """Parse a push message, or raise :class:`Rejected` for a malformed one."""
    ttl = _ttl(headers.get("ttl"))
    urgency = headers.get("urgency", "normal")
    if urgency not in URGENCIES:
        raise Rejected("BadUrgency", f"Urgency {urgency!r} is not one of {URGENCIES}.")
    topic = headers.get("topic")
    if topic is not None and not _TOPIC.match(topic):
        raise Rejected("BadTopic", f"Topic {topic!r} is not 1-32 base64url characters.")
    encoding = headers.get("content-encoding")
    if body and encoding != "aes128gcm":
        raise Rejected(
            "BadContentEncoding",
            f"Content-Encoding {encoding!r}: encrypt the body with aes128gcm.",
        )
    if len(body) > MAX_BODY:
        raise Rejected("PayloadTooLarge", f"{len(body)} bytes; at most {MAX_BODY}.")
    return WebPushRequest(
        origin=origin,
        subscription=subscription,
        ttl=ttl,
        urgency=urgency,
        topic=topic,
        body=body,
        authorization=_vapid(headers.get("authorization")),
    )


def unmatched(method: str, path: str, status: int, nearest: list[str]) -> Reply:
    """Answer a request no push route serves: 404 or 405."""
    reason = "MethodNotAllowed" if status == 405 else "NotFound"
    message = unmatched_text(method, path, "web push", nearest)
    return _json(STATUS[reason], {"reason": reason, "message": message})


def decrypt(
    raw: bytes, private_key: ec.EllipticCurvePrivateKey, auth_secret: bytes
) -> bytes:
    """Decrypt an ``aes128gcm`` push message as the receiving browser does."""
    plaintext: bytes = http_ece.decrypt(
        raw, private_key=private_key, auth_secret=auth_secret, version="aes128gcm"
    )
    return plaintext


def _ttl(value: str | None) -> int:
    if value is None:
        raise Rejected(
            "BadTtl",
            "the TTL header is missing; RFC 8030 requires it. Send TTL: <seconds> "
            "(0 delivers only to a browser online now).",
        )
    # Longer TTLs are cut to MAX_TTL by the service anyway.
    ttl = _numbers.digits(value, MAX_TTL)
    if ttl is None:
        raise Rejected(
            "BadTtl",
            f"TTL header {value!r} is not a number of seconds in ASCII digits; "
            "send TTL: <seconds>, such as TTL: 60.",
        )
    return ttl


def _vapid(value: str | None) -> VapidAuth | None:
    if value is None:
        return None
    scheme, _, rest = value.strip().partition(" ")
    params = {}
    for part in rest.split(","):
        name, _, item = part.strip().partition("=")
        params[name.strip().lower()] = item.strip()
    return VapidAuth(scheme.lower(), params.get("t") or None, params.get("k") or None)


def _json(status: int, document: dict[str, object]) -> Reply:
    headers = {"content-type": "application/json"}
    return Reply(status, headers, json.dumps(document).encode())
