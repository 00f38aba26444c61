"""The APNs provider API on the wire: headers and path in, status and reason out.

Header checks run in the order of Pushy's ``ValidatingPushNotificationHandler``
(apns-id, topic, collapse id, priority, push type, then the token in the path),
after one Pushy lacks: an ``apns-*`` or ``authorization`` header sent twice is
``DuplicateHeaders``. An injected fault answers before them all; the model
continues after them. Every answer carries ``apns-id`` (the request's, or a
fresh one); an accepted sandbox push adds ``apns-unique-id``. Error bodies are
exactly Apple's ``{"reason": ...}``, with ``timestamp`` (milliseconds) only for
the 410 reasons; what went wrong, and what to do, is in the
``x-harness-detail`` header and the journal, never in the body.

Named policies where Apple says nothing: a payload that is not a JSON object
(or not JSON this emulator reads: bad UTF-8, nesting past 100 levels) is
accepted and reaches the device without title, body or data, so reading the
body never pre-empts a header, token or provider-token check; a missing
``apns-push-type`` means ``alert``; a missing ``apns-priority`` means 10, or 5
for background pushes; an ``apns-expiration`` past the end of year 9999 is
``BadExpirationDate``. Priorities and expirations are ASCII digits only.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from harness.push import _numbers
from harness.push.apns.errors import Rejected
from harness.push.apns.model import ApnsRequest, ApnsService
from harness.push.errors import NotJson
from harness.push.notification import Verdict
from harness.wire.asgi import Reply, unmatched_text
from harness.wire.body import load_json

PUSH_TYPES = (
    "alert",
    "background",
    "voip",
    "complication",
    "fileprovider",
    "mdm",
    "location",
    "liveactivity",
    "pushtotalk",
)
# Apple's reasons and their statuses; every reason not listed is 400.
STATUS = {
    "BadCertificate": 403,
    "BadCertificateEnvironment": 403,
    "ExpiredProviderToken": 403,
    "Forbidden": 403,
    "InvalidProviderToken": 403,
    "MissingProviderToken": 403,
    "UnrelatedKeyIdInToken": 403,
    "BadEnvironmentKeyInToken": 403,
    "BadPath": 404,
    "MethodNotAllowed": 405,
    "ExpiredToken": 410,
    "Unregistered": 410,
    "PayloadTooLarge": 413,
    "TooManyProviderTokenUpdates": 429,
    "TooManyRequests": 429,
    "InternalServerError": 500,
    "ServiceUnavailable": 503,
    "Shutdown": 503,
}
DETAIL = "x-harness-detail"
_UUID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I
)
_HEX = re.compile(r"^(?:[0-9a-f]{2})+$", re.I)
# 9999-12-31T23:59:59Z, the last second a datetime can hold.
MAX_EXPIRATION = 253_402_300_799


def handle_push(
    service: ApnsService,
    environment: str,
    token: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    connection: str | None = None,
) -> Reply:
    """Answer ``POST /3/device/<token>`` the way APNs does.

    ``headers`` is the raw list of name and value pairs, so that a header sent
    twice is seen; ``connection`` names the client connection, None in process.
    """
    delivery_id = _data(_document(body)).get("CIO-Delivery-ID")
    try:
        service.take_fault()
        request = parse_push(environment, token, headers, body, connection)
        acceptance = service.send(request)
    except Rejected as error:
        apns_id = _first(headers).get("apns-id") or ""
        apns_id = apns_id if _UUID.match(apns_id) else service.new_apns_id()
        verdict = _rejected(token, error)
        service.settle(verdict, delivery_id=delivery_id, detail=error.detail)
        return _error(error, apns_id)
    verdict = _accepted(request.token, acceptance.apns_id)
    service.settle(verdict, delivery_id=delivery_id, acceptance=acceptance)
    answered = {"apns-id": acceptance.apns_id}
    if acceptance.unique_id is not None:
        answered["apns-unique-id"] = acceptance.unique_id
    return Reply(200, answered)


def parse_push(
    environment: str,
    token: str,
    raw_headers: Sequence[tuple[str, str]],
    body: bytes,
    connection: str | None = None,
) -> ApnsRequest:
    """Parse a notification request, or raise :class:`Rejected` for bad syntax."""
    headers = _unique(raw_headers)
    apns_id = headers.get("apns-id")
    if apns_id is not None and not _UUID.match(apns_id):
        raise Rejected("BadMessageId", f"apns-id {apns_id!r} is not a UUID.")
    topic = headers.get("apns-topic")
    if not topic:
        raise Rejected("MissingTopic", "apns-topic is required with token auth.")
    collapse_id = headers.get("apns-collapse-id")
    if collapse_id is not None and len(collapse_id.encode()) > 64:
        raise Rejected("BadCollapseId", "apns-collapse-id is over 64 bytes.")
    push_type, priority = _push_type_and_priority(headers)
    expiration = _expiration(headers.get("apns-expiration"))
    device_token = _token(token)
    document = _document(body)
    alert = _alert(document)
    return ApnsRequest(
        environment=environment,
        token=device_token,
        topic=topic,
        apns_id=apns_id.lower() if apns_id else None,
        push_type=push_type,
        priority=priority,
        collapse_id=collapse_id,
        expiration=expiration,
        authorization=_bearer(headers.get("authorization")),
        payload=body,
        title=_text_or_none(alert.get("title")),
        body=_text_or_none(alert.get("body")),
        data=_data(document),
        connection=connection,
    )


def unmatched(
    service: ApnsService, method: str, path: str, status: int, nearest: list[str]
) -> Reply:
    """Answer a request no APNs route serves: 404 BadPath or 405."""
    reason = "MethodNotAllowed" if status == 405 else "BadPath"
    message = unmatched_text(method, path, "APNs", nearest)
    headers = {"apns-id": service.new_apns_id(), DETAIL: _header_text(message)}
    return _json(STATUS[reason], {"reason": reason}, headers)


def _unique(headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    counts = Counter(name.lower() for name, _ in headers)
    for name, count in counts.items():
        if count > 1 and (name.startswith("apns-") or name == "authorization"):
            raise Rejected(
                "DuplicateHeaders",
                f"{name} was sent {count} times; send each header once.",
            )
    return _first(headers)


def _first(headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    first: dict[str, str] = {}
    for name, value in headers:
        first.setdefault(name.lower(), value)
    return first


def _push_type_and_priority(headers: dict[str, str]) -> tuple[str, int]:
    given = headers.get("apns-priority")
    priority = 10 if given is None else _numbers.digits(given, 99)
    if priority is None or priority not in (10, 5, 1):
        raise Rejected("BadPriority", f"apns-priority {given!r} is not 10, 5 or 1.")
    push_type = headers.get("apns-push-type", "alert")
    if push_type not in PUSH_TYPES:
        raise Rejected("InvalidPushType", f"apns-push-type {push_type!r} is unknown.")
    if push_type == "background":
        if given is not None and priority == 10:
            raise Rejected("BadPriority", "background pushes must use priority 5.")
        priority = 5 if given is None else priority
    return push_type, priority


def _expiration(value: str | None) -> int | None:
    if value is None:
        return None
    expiration = _numbers.digits(value, MAX_EXPIRATION + 1)
    if expiration is None or expiration > MAX_EXPIRATION:
        raise Rejected(
            "BadExpirationDate",
            f"apns-expiration {value!r} is not a Unix time in seconds up to "
            f"{MAX_EXPIRATION} (the end of year 9999); send 0 or a time in seconds.",
        )
    return expiration


def _token(token: str) -> str:
    if not token:
        raise Rejected("MissingDeviceToken", "the path names no device token.")
    if not _HEX.match(token):
        raise Rejected("BadDeviceToken", f"token {token!r} is not a hex string.")
    return token.lower()


def _bearer(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, _, credentials = value.partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else value


def _document(body: bytes) -> dict[str, Any]:
    try:
        document = load_json(body)
    except NotJson:
        return {}
    return document if isinstance(document, dict) else {}


def _alert(document: dict[str, Any]) -> dict[str, Any]:
    aps = document.get("aps")
    alert = aps.get("alert") if isinstance(aps, dict) else None
    if isinstance(alert, str):
        return {"body": alert}
    return alert if isinstance(alert, dict) else {}


def _data(document: dict[str, Any]) -> dict[str, str]:
    data = {k: _text(v) for k, v in document.items() if k not in ("aps", "CIO")}
    cio = document.get("CIO")
    push = cio.get("push") if isinstance(cio, dict) else None
    if isinstance(push, dict):
        data.update({k: _text(push[k]) for k in ("link", "image") if k in push})
    return data


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _rejected(token: str, error: Rejected) -> Verdict:
    status = STATUS.get(error.reason, 400)
    dead = status == 410
    gone = error.dead_since
    return Verdict("apns", token, False, status, error.reason, dead, gone, None)


def _accepted(token: str, apns_id: str) -> Verdict:
    return Verdict("apns", token, True, 200, None, False, None, apns_id)


def _error(error: Rejected, apns_id: str) -> Reply:
    document: dict[str, object] = {"reason": error.reason}
    if error.dead_since is not None:
        document["timestamp"] = int(error.dead_since.timestamp() * 1000)
    headers = {"apns-id": apns_id, DETAIL: _header_text(error.detail)}
    return _json(STATUS.get(error.reason, 400), document, headers)


def _header_text(text: str) -> str:
    """Return ``text`` as a header value can carry it: printable ASCII."""
    shown = text.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(c if " " <= c <= "~" else " " for c in shown)


def _json(
    status: int, document: dict[str, object], headers: dict[str, str] | None = None
) -> Reply:
    headers = {"content-type": "application/json", **(headers or {})}
    return Reply(status, headers, json.dumps(document).encode())
