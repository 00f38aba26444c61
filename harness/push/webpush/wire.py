"""Web push on the wire (RFC 8030): headers checked, 201 or 202 with a Location.

A request is read into a :class:`~.model.WebPushRequest`, or refused 400 when a
header breaks the RFC: no ``TTL``; an ``Urgency`` outside ``very-low``, ``low``,
``normal``, ``high``, or more than one value; a ``Topic`` over 32 characters or
outside the base64url alphabet; a body without ``Content-Encoding: aes128gcm``
or ``aesgcm``, or with the other encoding's headers (``aesgcm`` needs
``Encryption: salt=`` and ``Crypto-Key: dh=``, ``aes128gcm`` carries both in
the body). A body over 4096 bytes is 413. The answer is 201 with the
``Location`` of the message and the ``TTL`` applied, or 202 for ``Prefer:
respond-async`` with a receipt subscription in ``Link`` (RFC 8030 section
5.1). Without the ``Link`` the preference is ignored and the answer is 201, as
RFC 7240 lets a server do: a named policy. Refusals are worded as each vendor
words them (:mod:`.bodies`).

Headers come as every (name, value) pair sent, so a header sent twice is seen
twice; ``TTL``, ``Topic`` and the encryption headers are read from their first
line, ``Urgency`` and ``Prefer`` from all of them.

Also holds :func:`decrypt`, which the emulated browser uses to read a message
with its own private key (RFC 8291 ``aes128gcm``, or the draft ``aesgcm``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

from harness.push import _b64, _numbers
from harness.push.notification import Verdict
from harness.push.webpush import bodies
from harness.push.webpush.errors import Rejected
from harness.push.webpush.model import VENDORS, WebPushRequest, WebPushService
from harness.push.webpush.vapid import VapidAuth
from harness.wire.asgi import Reply

MAX_BODY = 4096
URGENCIES = ("very-low", "low", "normal", "high")
ENCODINGS = ("aes128gcm", "aesgcm")
RECEIPT = "urn:ietf:params:push:receipt"
_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
_LINK = re.compile(r"<([^>]*)>\s*((?:;[^,]*)*)")
_LONGEST = max(vendor.max_ttl for vendor in VENDORS.values())

Headers = Sequence[tuple[str, str]]
"""Every header line of a request as (lower-case name, value), in order."""


def handle_push(
    service: WebPushService,
    origin: str,
    subscription: str,
    headers: Headers,
    body: bytes,
) -> Reply:
    """Answer a POST to a push subscription's endpoint."""
    url = service.endpoint_url(origin, subscription)
    try:
        request = parse_push(origin, subscription, headers, body)
        acceptance = service.send(request)
    except Rejected as error:
        reply = bodies.refusal(origin, error, service.expired_as_not_found)
        gone, dead = error.unsubscribed_at, reply.status in (404, 410)
        verdict = Verdict(
            "webpush", url, False, reply.status, error.reason, dead, gone, None
        )
        service.settle(verdict, detail=error.detail)
        return reply
    status = 201 if acceptance.receipt is None else 202
    location = acceptance.location
    answer = {"location": location, "ttl": str(acceptance.ttl)}
    if acceptance.receipt is not None:
        answer["link"] = f'<{acceptance.receipt}>; rel="{RECEIPT}"'
    verdict = Verdict("webpush", url, True, status, None, False, None, location)
    service.settle(verdict, acceptance=acceptance)
    return Reply(status, answer)


def parse_push(
    origin: str, subscription: str, headers: Headers, body: bytes
) -> WebPushRequest:
    """Parse a push message, or raise :class:`Rejected` for a malformed one."""
    ttl = _ttl(_first(headers, "ttl"))
    urgency = _urgency(_every(headers, "urgency"))
    topic = _first(headers, "topic")
    if topic is not None and not _TOPIC.fullmatch(topic):
        raise Rejected(
            "BadTopic",
            f"Topic {topic!r} is not 1 to 32 characters of the base64url alphabet "
            "(A-Z, a-z, 0-9, '-', '_'); shorten or re-encode it.",
        )
    if len(body) > MAX_BODY:
        raise Rejected(
            "PayloadTooLarge",
            f"the body has {len(body)} bytes; a push service takes at most "
            f"{MAX_BODY}. Send less.",
        )
    crypto_key = _params(_first(headers, "crypto-key"))
    encoding, salt, dh = _encryption(headers, crypto_key, body)
    return WebPushRequest(
        origin=origin,
        subscription=subscription,
        ttl=ttl,
        urgency=urgency,
        topic=topic,
        body=body,
        authorization=_vapid(_first(headers, "authorization"), crypto_key),
        encoding=encoding,
        salt=salt,
        dh=dh,
        receipt=_receipt(headers),
    )


def decrypt(
    raw: bytes,
    private_key: ec.EllipticCurvePrivateKey,
    auth_secret: bytes,
    forwarded: dict[str, str] | None = None,
) -> bytes:
    """Decrypt a push message as the receiving browser does.

    ``forwarded`` is what the push service passed along with the body
    (``Notification.data``): its ``encoding`` and, for ``aesgcm``, the
    ``salt`` and the sender's ``dh`` key.
    """
    given = forwarded or {}
    encoding = given.get("encoding", "aes128gcm")
    if encoding == "aesgcm":
        plaintext: bytes = http_ece.decrypt(
            raw,
            salt=_b64.decode(given.get("salt", "")),
            dh=_b64.decode(given.get("dh", "")),
            private_key=private_key,
            auth_secret=auth_secret,
            version="aesgcm",
        )
        return plaintext
    plaintext = http_ece.decrypt(
        raw, private_key=private_key, auth_secret=auth_secret, version=encoding
    )
    return plaintext


def _first(headers: Headers, name: str) -> str | None:
    return next((value for key, value in headers if key == name), None)


def _every(headers: Headers, name: str) -> list[str]:
    """Return each comma-separated value of every ``name`` line."""
    lines = [value for key, value in headers if key == name]
    return [item.strip() for line in lines for item in line.split(",")]


def _ttl(value: str | None) -> int:
    if value is None:
        raise Rejected(
            "BadTtl",
            "the TTL header is missing; RFC 8030 requires it. Send TTL: <seconds> "
            "(0 delivers only to a browser online now).",
        )
    # Longer TTLs are cut to the vendor's longest by the service anyway.
    ttl = _numbers.digits(value, _LONGEST)
    if ttl is None:
        raise Rejected(
            "BadTtl",
            f"TTL header {value!r} is not a number of seconds in ASCII digits; "
            "send TTL: <seconds>, such as TTL: 60.",
        )
    return ttl


def _urgency(values: list[str]) -> str:
    if not values:
        return "normal"
    if len(values) > 1:
        raise Rejected(
            "BadUrgency",
            f"Urgency has {len(values)} values ({', '.join(values)}); RFC 8030 "
            "allows one. Send the single urgency the message has.",
        )
    if values[0] not in URGENCIES:
        raise Rejected(
            "BadUrgency",
            f"Urgency {values[0]!r} is not one of {', '.join(URGENCIES)}.",
        )
    return values[0]


def _encryption(
    headers: Headers, crypto_key: dict[str, str], body: bytes
) -> tuple[str | None, str | None, str | None]:
    """Return the body's encoding and, for ``aesgcm``, its salt and dh key."""
    if not body:
        return None, None, None
    encoding = _first(headers, "content-encoding")
    if encoding not in ENCODINGS:
        raise Rejected(
            "BadContentEncoding",
            f"Content-Encoding {encoding!r}: encrypt the body with aes128gcm "
            "(RFC 8291) or the draft aesgcm, and name it.",
        )
    salt = _params(_first(headers, "encryption")).get("salt")
    dh = crypto_key.get("dh")
    if encoding == "aes128gcm":
        if salt is not None or dh is not None:
            raise Rejected(
                "BadEncryptionHeaders",
                "an aes128gcm body carries its salt and key itself; drop salt= "
                "from Encryption and dh= from Crypto-Key.",
            )
        return encoding, None, None
    for name, value, where in (("salt", salt, "Encryption"), ("dh", dh, "Crypto-Key")):
        if not value or not _b64url(value):
            raise Rejected(
                "BadEncryptionHeaders",
                f"an aesgcm body needs {name}=<base64url> in {where}; it has "
                f"{value!r}.",
            )
    return encoding, salt, dh


def _params(value: str | None) -> dict[str, str]:
    """Read ``a=1;b=2`` or ``a=1, b=2`` into a dict, without quotes or padding."""
    found: dict[str, str] = {}
    for part in re.split(r"[;,]", value or ""):
        name, _, item = part.strip().partition("=")
        if name:
            found.setdefault(name.strip().lower(), item.strip().strip('"').rstrip("="))
    return found


def _b64url(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9_-]+", text) is not None


def _vapid(value: str | None, crypto_key: dict[str, str]) -> VapidAuth | None:
    if value is None:
        return None
    scheme, _, rest = value.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "webpush":
        return VapidAuth(scheme, rest.strip() or None, crypto_key.get("p256ecdsa"))
    params = {}
    for part in rest.split(","):
        name, _, item = part.strip().partition("=")
        params[name.strip().lower()] = item.strip()
    return VapidAuth(scheme, params.get("t") or None, params.get("k") or None)


def _receipt(headers: Headers) -> str | None:
    """Return the receipt subscription of a respond-async request, if it names one."""
    preferences = [p.split(";")[0].strip().lower() for p in _every(headers, "prefer")]
    if "respond-async" not in preferences:
        return None
    for line in (value for key, value in headers if key == "link"):
        for target, params in _LINK.findall(line):
            if RECEIPT in params and target.startswith(("https://", "http://")):
                return str(target)
    return None
