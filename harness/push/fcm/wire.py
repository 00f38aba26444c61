"""FCM HTTP v1 on the wire: the send request parsed, Google's error shape out.

Field names are accepted in both spellings Google's JSON parser takes
(``collapse_key`` and ``collapseKey``); unknown fields are refused, as FCM does.

Named policies where FCM's documents leave room: a token must look like
``<installation id>:APA91…`` (or a legacy bare ``APA91…`` token); the 4096-byte
limit is measured in UTF-8 bytes on the message's JSON without its target; a
``ttl`` above four weeks, however long, is cut to four weeks; a body nesting
past 100 levels is not JSON FCM reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, NoReturn

from harness.push import _numbers
from harness.push.errors import NotJson
from harness.push.fcm.errors import Rejected
from harness.push.fcm.model import DEFAULT_TTL, FcmRequest, FcmService
from harness.push.notification import Verdict
from harness.wire.asgi import Reply, unmatched_text
from harness.wire.body import load_json

MAX_MESSAGE = 4096
TARGETS = ("token", "topic", "condition")
MESSAGE_FIELDS = {*TARGETS, "name", "data", "notification", "android", "webpush"}
MESSAGE_FIELDS |= {"apns", "fcm_options"}
ANDROID_FIELDS = {"collapse_key", "priority", "ttl", "data", "notification"}
ANDROID_FIELDS |= {"restricted_package_name", "fcm_options", "direct_boot_ok"}
NOTIFICATION_FIELDS = {"title", "body", "image"}
# AndroidNotification in the FCM v1 reference.
ANDROID_NOTIFICATION_FIELDS = {
    *NOTIFICATION_FIELDS,
    "icon",
    "color",
    "sound",
    "tag",
    "click_action",
    "body_loc_key",
    "body_loc_args",
    "title_loc_key",
    "title_loc_args",
    "channel_id",
    "ticker",
    "sticky",
    "event_time",
    "local_only",
    "notification_priority",
    "default_sound",
    "default_vibrate_timings",
    "default_light_settings",
    "vibrate_timings",
    "visibility",
    "notification_count",
    "light_settings",
    "bypass_proxy_notification",
    "proxy",
}
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
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
_TOKEN = re.compile(r"^(?:[\w-]+:)?APA91[\w-]{20,}$", re.ASCII)
_TTL = re.compile(r"^([0-9]+)(?:\.[0-9]{1,9})?s$")
_TTL_CAP = int(DEFAULT_TTL.total_seconds())
_RESERVED = re.compile(r"^(?:from|message_type|google\..*|gcm\.notification\..*)$")


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
        acceptance = service.send(parse_send(project, body))
    except Rejected as error:
        verdict = _rejected(token, error)
        service.settle(verdict, delivery_id=delivery_id, detail=error.message)
        return _error(error)
    verdict = Verdict("fcm", token, True, 200, None, False, None, acceptance.name)
    service.settle(verdict, delivery_id=delivery_id, acceptance=acceptance)
    return _json(200, {"name": acceptance.name})


def parse_send(project: str, body: bytes) -> FcmRequest:
    """Parse a send request, or raise :class:`Rejected` (INVALID_ARGUMENT)."""
    try:
        document = _object(load_json(body), "")
    except NotJson as error:
        _invalid("", f"Invalid JSON payload received: {error}. Send a JSON object.")
    _known(document, {"validate_only", "message"}, "")
    validate_only = _validate_only(_get(document, "validate_only"))
    message = _object(document.get("message"), "message")
    _known(message, MESSAGE_FIELDS, "message")
    target, address = _target(message)
    notification = _object(message.get("notification", {}), "message.notification")
    _known(notification, NOTIFICATION_FIELDS, "message.notification")
    android = _object(message.get("android", {}), "message.android")
    _known(android, ANDROID_FIELDS, "message.android")
    where = "message.android.notification"
    android_notification = _object(android.get("notification", {}), where)
    _known(android_notification, ANDROID_NOTIFICATION_FIELDS, where)
    for name in ("apns", "webpush", "fcm_options"):
        _object(_get(message, name, {}), f"message.{name}")
    data = _data(message.get("data", {}), "message.data")
    if "data" in android:
        data = _data(android["data"], "message.android.data")
    _check_size(message)
    return FcmRequest(
        project=project,
        validate_only=validate_only,
        target=target,
        address=address,
        has_notification=bool(notification),
        title=_string(notification.get("title"), "message.notification.title"),
        body=_string(notification.get("body"), "message.notification.body"),
        data=data,
        priority=_priority(android.get("priority")),
        ttl=_ttl(android.get("ttl")),
        collapse_key=_string(
            _get(android, "collapse_key"), "message.android.collapse_key"
        ),
        raw=json.dumps(message, separators=(",", ":")).encode(),
    )


def unmatched(method: str, path: str, status: int, nearest: list[str]) -> Reply:
    """Answer a request no route on FCM's host serves, as Google's 404."""
    message = unmatched_text(method, path, "fcm.googleapis.com", nearest)
    return _json(
        404, {"error": {"code": 404, "message": message, "status": "NOT_FOUND"}}
    )


def _target(message: dict[str, Any]) -> tuple[str, str]:
    given = [name for name in TARGETS if name in message]
    if len(given) != 1:
        _invalid(
            "message",
            f"Exactly one of token, topic or condition is required; got "
            f"{', '.join(given) or 'none'}.",
        )
    target = given[0]
    address = _string(message[target], f"message.{target}") or ""
    if target == "token" and not _TOKEN.match(address):
        _invalid("message.token", "The registration token is not a valid FCM token.")
    return target, address


def _data(value: object, field: str) -> dict[str, str]:
    data = _object(value, field)
    for key, item in data.items():
        if not isinstance(item, str):
            _invalid(
                f"{field}[{key}]",
                f"Invalid value at '{field}[{key}]': data values must be strings, "
                f"not {type(item).__name__}; encode it as a string.",
            )
        if _RESERVED.match(key):
            _invalid(f"{field}[{key}]", f"Data key {key!r} is a reserved word.")
    return data


def _validate_only(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return value is True
    _invalid(
        "validate_only",
        f"Invalid value at 'validate_only' ({value!r}); use true or false.",
    )


def _priority(value: object) -> str | None:
    if value is None or value in ("NORMAL", "HIGH"):
        return str(value) if value else None
    _invalid(
        "message.android.priority",
        f"Invalid value at 'message.android.priority' ({value!r}); use NORMAL or HIGH.",
    )


def _ttl(value: object) -> timedelta | None:
    if value is None:
        return None
    match = _TTL.fullmatch(value) if isinstance(value, str) else None
    seconds = _numbers.digits(match.group(1), _TTL_CAP) if match else None
    if seconds is None:
        _invalid(
            "message.android.ttl",
            f"Invalid value at 'message.android.ttl' ({value!r}); use seconds "
            'with an "s" suffix, such as "3600s".',
        )
    return timedelta(seconds=seconds)


def _check_size(message: dict[str, Any]) -> None:
    payload = {k: v for k, v in message.items() if k not in TARGETS}
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    size = len(text.encode())
    if size > MAX_MESSAGE:
        _invalid("message", f"Message is too big: {size} bytes, limit {MAX_MESSAGE}.")


def _known(obj: dict[str, Any], fields: set[str], where: str) -> None:
    for name in obj:
        if _snake(name) not in fields:
            at = f" at '{where}'" if where else ""
            _invalid(
                where, f'Invalid JSON payload received. Unknown name "{name}"{at}.'
            )


def _get(obj: dict[str, Any], name: str, default: object = None) -> Any:
    camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), name)
    return obj.get(name, obj.get(camel, default))


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _object(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        where = f"'{field}'" if field else "the top level"
        _invalid(field, f"Invalid value at {where}: expected an object.")
    return value


def _string(value: object, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    _invalid(field, f"Invalid value at '{field}': expected a string.")


def _invalid(field: str, message: str) -> NoReturn:
    raise Rejected("INVALID_ARGUMENT", message, field=field)


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
    if error.code not in ("UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND"):
        details.append({"@type": FCM_ERROR, "errorCode": error.code})
    if error.field is not None:
        violation = {"field": error.field, "description": error.message}
        details.append(
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [violation],
            }
        )
    body: dict[str, object] = {"code": status, "message": error.message}
    body.update({"status": google_status, **({"details": details} if details else {})})
    return _json(status, {"error": body})


def _json(status: int, document: dict[str, object]) -> Reply:
    headers = {"content-type": "application/json; charset=UTF-8"}
    return Reply(status, headers, json.dumps(document).encode())
