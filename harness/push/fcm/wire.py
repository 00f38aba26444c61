"""FCM HTTP v1 on the wire: the send request parsed, Google's error shape out.

A send passes the stages the real service has, in order: the OAuth check, an
injected fault, Google's front end mapping the JSON onto the request
(:mod:`.schema`), FCM's checks of the message (here), then the checks that
need state (:class:`~harness.push.fcm.model.FcmService`).

Every refusal is ``{"error": {"code", "message", "status", "details"}}``.
FCM's own refusals carry a ``google.firebase.fcm.v1.FcmError`` detail with the
``errorCode``; a bad field adds a ``google.rpc.BadRequest``, a quota a
``google.rpc.QuotaFailure``. Refusals in front of FCM (credentials, the
project, JSON that does not map) carry no FcmError, as Google's front end
answers them. Texts are FCM's where its pages or captured answers show them:
``The registration token is not a valid FCM registration token``, ``Recipient
of the message is not set.``, ``Request contains an invalid argument.`` for a
message that is too big, ``Requested entity was not found.``, ``SenderId
mismatch``, ``Auth error from APNS or Web Push Service``, ``Internal error
encountered.``, ``The service is currently unavailable.``.

Named policies where FCM's documents leave room:

- a token must look like ``<installation id>:APA91…`` (or a legacy bare
  ``APA91…`` token);
- the size limit, 4096 bytes or 2048 for topic and condition sends, is measured
  in UTF-8 bytes on the message's JSON without its target;
- a ``ttl`` above four weeks, however long, is cut to four weeks; a negative
  one is INVALID_ARGUMENT;
- reserved data keys (in ``data`` and ``android.data``) are ``from``,
  ``message_type`` and keys starting ``google.`` or ``gcm.``; Google's pages
  name ``gcm.notification.``, the wider ``gcm.`` follows the legacy API; the
  answer ``Invalid data payload key: <key>`` is as third parties captured it
  (UNCONFIRMED);
- analytics labels must match ``[a-zA-Z0-9-_.~%]{1,50}``, an Android
  notification color ``#rrggbb`` and a web push link must be ``https``, as the
  Admin SDKs check; the wording of these, of bad topics and conditions, is the
  emulator's;
- Google's 401 texts are used without the help link it appends;
- a body nesting past 100 levels is not JSON FCM reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from harness.push.errors import NotJson
from harness.push.fcm import schema, topics
from harness.push.fcm.errors import BadCondition, BadJson, Rejected
from harness.push.fcm.model import FcmService
from harness.push.fcm.targets import (
    AndroidOptions,
    ApnsOptions,
    Content,
    FcmRequest,
    WebOptions,
)
from harness.push.notification import Verdict
from harness.wire.asgi import Reply, unmatched_text
from harness.wire.body import load_json

MAX_MESSAGE = 4096
MAX_TOPIC_MESSAGE = 2048
TARGETS = schema.TARGETS
STATUS = {
    "INVALID_ARGUMENT": (400, "INVALID_ARGUMENT"),
    "UNAUTHENTICATED": (401, "UNAUTHENTICATED"),
    "THIRD_PARTY_AUTH_ERROR": (401, "UNAUTHENTICATED"),
    "PERMISSION_DENIED": (403, "PERMISSION_DENIED"),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED"),
    "NOT_FOUND": (404, "NOT_FOUND"),
    "UNREGISTERED": (404, "NOT_FOUND"),
    "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED"),
    "INTERNAL": (500, "INTERNAL"),
    "UNAVAILABLE": (503, "UNAVAILABLE"),
}
GATEWAY = ("UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND")
TYPES = "type.googleapis.com/"
FCM_ERROR = TYPES + "google.firebase.fcm.v1.FcmError"
BAD_REQUEST = TYPES + "google.rpc.BadRequest"
QUOTA_FAILURE = TYPES + "google.rpc.QuotaFailure"
BAD_TOKEN = "The registration token is not a valid FCM registration token"
_TOKEN = re.compile(r"(?:[\w-]+:)?APA91[\w-]{20,}", re.ASCII)
_RESERVED = re.compile(r"from|message_type|(?:google|gcm)\..*")
_LABEL = re.compile(r"[a-zA-Z0-9\-_.~%]{1,50}")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def handle_send(
    service: FcmService, project: str, headers: Mapping[str, str], body: bytes
) -> Reply:
    """Answer ``POST /v1/projects/<project>/messages:send`` the way FCM does."""
    message = _document(body).get("message")
    message = message if isinstance(message, dict) else {}
    token = _target_of(message)
    delivery_id = _strings(message.get("data")).get("CIO-Delivery-ID")
    try:
        service.authenticate(project, _bearer(headers.get("authorization")))
        service.raise_fault(project)
        acceptance = service.send(parse_send(project, body))
    except Rejected as error:
        verdict = _rejected(token, error)
        service.settle(verdict, delivery_id=delivery_id, detail=error.explanation)
        return _error(error)
    verdict = Verdict("fcm", token, True, 200, None, False, None, acceptance.name)
    service.settle(verdict, delivery_id=delivery_id, acceptance=acceptance)
    return _json(200, {"name": acceptance.name})


def parse_send(project: str, body: bytes) -> FcmRequest:
    """Parse a send request, or raise :class:`Rejected` (INVALID_ARGUMENT)."""
    try:
        document = load_json(body)
    except NotJson as error:
        problem = f"Invalid JSON payload received. The body is not JSON: {error}."
        raise BadJson([("", problem)]) from None
    request, violations = schema.read(document)
    if violations:
        raise BadJson(violations)
    message: dict[str, Any] = request.get("message", {})
    target, address = _target(message)
    condition = _condition(address) if target == "condition" else None
    _check_data(message)
    _check_options(message)
    original = _document(body).get("message") or {}
    _check_size(original, target)
    return FcmRequest(
        project=project,
        validate_only=request.get("validate_only", False),
        target=target,
        address=address,
        notification=_content(message.get("notification")),
        data=message.get("data", {}),
        raw=json.dumps(original, separators=(",", ":")).encode(),
        android=_android(message.get("android", {})),
        apns=_apns(message.get("apns", {})),
        webpush=_webpush(message.get("webpush", {})),
        condition=condition,
    )


def unmatched(method: str, path: str, status: int, nearest: list[str]) -> Reply:
    """Answer a request no route on FCM's host serves, as Google's 404."""
    message = unmatched_text(method, path, "fcm.googleapis.com", nearest)
    return _json(
        404, {"error": {"code": 404, "message": message, "status": "NOT_FOUND"}}
    )


def _target(message: dict[str, Any]) -> tuple[str, str]:
    given = [name for name in TARGETS if name in message]
    if not given:
        _invalid("message", "Recipient of the message is not set.")
    target, address = given[0], message[given[0]]
    if target == "token" and not _TOKEN.fullmatch(address):
        _invalid("message.token", BAD_TOKEN)
    if target == "topic" and not topics.valid_topic(address):
        _invalid(
            "message.topic",
            f"Invalid topic name {address[:100]!r}: use letters, digits and "
            "-_.~% only, without the /topics/ prefix.",
        )
    return target, address


def _condition(text: str) -> topics.Condition:
    try:
        return topics.parse(text)
    except BadCondition as error:
        _invalid("message.condition", f"Invalid condition expression: {error}")


def _check_data(message: dict[str, Any]) -> None:
    maps = [("message.data", message.get("data", {}))]
    maps.append(("message.android.data", message.get("android", {}).get("data", {})))
    for where, data in maps:
        for key in data:
            if _RESERVED.fullmatch(key):
                _invalid(where, f"Invalid data payload key: {key}")


def _check_options(message: dict[str, Any]) -> None:
    android = message.get("android", {})
    ttl = android.get("ttl")
    if ttl is not None and ttl.total_seconds() < 0:
        _invalid(
            "message.android.ttl",
            "Invalid value at 'message.android.ttl': the TTL is negative; give "
            'seconds from "0s" (now or never) to "2419200s" (four weeks).',
        )
    for part in ("", "android.", "apns.", "webpush."):
        options = _part(message, f"{part}fcm_options")
        label = options.get("analytics_label")
        if label is not None and not _LABEL.fullmatch(label):
            _invalid(
                f"message.{part}fcm_options.analytics_label",
                f"Analytics label {label[:60]!r} must be 1 to 50 characters of "
                "letters, digits and -_.~%.",
            )
    color = _part(message, "android.notification").get("color")
    if color is not None and not _COLOR.fullmatch(color):
        _invalid(
            "message.android.notification.color",
            f"Color {color[:20]!r} must be in the form #rrggbb.",
        )
    link = _part(message, "webpush.fcm_options").get("link")
    if link is not None and not link.startswith("https://"):
        _invalid(
            "message.webpush.fcm_options.link",
            f"Link {link[:60]!r} must be an https URL.",
        )


def _check_size(message: dict[str, Any], target: str) -> None:
    payload = {k: v for k, v in message.items() if k not in TARGETS}
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    size = len(text.encode())
    limit = MAX_MESSAGE if target == "token" else MAX_TOPIC_MESSAGE
    if size > limit:
        kind = "message" if target == "token" else f"{target} message"
        raise Rejected(
            "INVALID_ARGUMENT",
            "Request contains an invalid argument.",
            explanation=f"Message is too big: the {kind} is {size} bytes, "
            f"FCM takes at most {limit}. Send less data.",
        )


def _android(android: dict[str, Any]) -> AndroidOptions:
    notification = android.get("notification", {})
    return AndroidOptions(
        collapse_key=android.get("collapse_key"),
        priority=android.get("priority"),
        ttl=android.get("ttl"),
        restricted_package_name=android.get("restricted_package_name"),
        data=android.get("data"),
        notification=_content(notification),
        channel_id=notification.get("channel_id"),
    )


def _apns(apns: dict[str, Any]) -> ApnsOptions:
    payload = apns.get("payload", {})
    aps = payload.get("aps")
    alert = aps.get("alert") if isinstance(aps, dict) else None
    return ApnsOptions(
        headers=_lower(apns.get("headers", {})),
        alert=Content(body=alert) if isinstance(alert, str) else _content(alert),
        custom={k: v for k, v in payload.items() if k != "aps" and _is_str(v)},
    )


def _webpush(webpush: dict[str, Any]) -> WebOptions:
    return WebOptions(
        headers=_lower(webpush.get("headers", {})),
        data=webpush.get("data"),
        notification=_content(webpush.get("notification")),
    )


def _content(value: object) -> Content | None:
    if not isinstance(value, dict) or not value:
        return None
    title, body, image = (value.get(k) for k in ("title", "body", "image"))
    return Content(*(v if _is_str(v) else None for v in (title, body, image)))


def _part(message: dict[str, Any], path: str) -> dict[str, Any]:
    value: dict[str, Any] = message
    for name in path.split("."):
        value = value.get(name, {})
    return value


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _invalid(field: str, message: str) -> NoReturn:
    raise Rejected("INVALID_ARGUMENT", message, violations=[(field, message)])


def _document(body: bytes) -> dict[str, Any]:
    try:
        document = load_json(body)
    except NotJson:
        return {}
    return document if isinstance(document, dict) else {}


def _target_of(message: dict[str, Any]) -> str:
    for name in TARGETS:
        value = message.get(name)
        if isinstance(value, str):
            return value if name == "token" else f"{name}:{value}"
    return ""


def _strings(value: object) -> dict[str, str]:
    items = value.items() if isinstance(value, dict) else []
    return {k: v for k, v in items if isinstance(v, str)}


def _bearer(value: str | None) -> str | None:
    scheme, _, credentials = (value or "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def _rejected(token: str, error: Rejected) -> Verdict:
    status = STATUS[error.code][0]
    dead = error.code == "UNREGISTERED"
    gone = error.unregistered_at
    return Verdict("fcm", token, False, status, error.code, dead, gone, None)


def _error(error: Rejected) -> Reply:
    status, google_status = STATUS[error.code]
    details: list[dict[str, object]] = []
    if not isinstance(error, BadJson) and error.code not in GATEWAY:
        details.append({"@type": FCM_ERROR, "errorCode": error.code})
    if error.violations:
        violations = [
            {"field": field, "description": text} if field else {"description": text}
            for field, text in error.violations
        ]
        details.append({"@type": BAD_REQUEST, "fieldViolations": violations})
    if error.quota is not None:
        subject, description = error.quota
        violation = {"subject": subject, "description": description}
        details.append({"@type": QUOTA_FAILURE, "violations": [violation]})
    body: dict[str, object] = {"code": status, "message": error.message}
    body.update({"status": google_status, **({"details": details} if details else {})})
    return _json(status, {"error": body})


def _json(status: int, document: dict[str, object]) -> Reply:
    headers = {"content-type": "application/json; charset=UTF-8"}
    return Reply(status, headers, json.dumps(document).encode())
