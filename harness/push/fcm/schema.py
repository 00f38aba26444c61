"""The fields of an FCM v1 send request, and the walk that maps JSON onto them.

Google's front end maps the JSON body onto the request's protocol buffer before
FCM sees it. It takes each field under its proto name or its lowerCamelCase
JSON name, treats ``null`` as unset, reads enum names in any case (the Admin
SDKs send ``"high"``) or by number, and refuses unknown names and values of
the wrong type with ``Invalid JSON payload received. Unknown name ...`` or
``Invalid value at '<path>' (<type>), <value>``, each a field violation, all
reported together. :func:`read` does the same and returns the body with proto
names, enum names in capitals and durations as :class:`~datetime.timedelta`.

Named policies where Google's wording is not published: a list in a field that
is not repeated is ``Proto field is not repeating, cannot start list.``; an
object or list where a string, number or enum belongs is reported in the
``Invalid value`` form with the value as JSON; a duration longer than the
protobuf maximum (315,576,000,000 s) counts as that maximum.

This module belongs to the wire layer: it holds no state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from harness.push import _numbers
from harness.push.fcm.errors import Violation

FCM = "type.googleapis.com/google.firebase.fcm.v1."
PROTOBUF = "type.googleapis.com/google.protobuf."
MAX_DURATION = 315_576_000_000
_DURATION = re.compile(r"(-?)([0-9]+)(?:\.([0-9]{1,9}))?s")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})"
)
_INT32 = 2**31


@dataclass(frozen=True)
class Spec:
    """One field type: its kind, the name Google gives it in errors, its parts."""

    kind: str
    label: str
    fields: Mapping[str, Spec] = field(default_factory=dict)
    values: tuple[str, ...] = ()
    item: Spec | None = None


STRING = Spec("string", "TYPE_STRING")
BOOL = Spec("bool", "TYPE_BOOL")
INT32 = Spec("int32", "TYPE_INT32")
FLOAT = Spec("float", "TYPE_FLOAT")
DURATION = Spec("duration", PROTOBUF + "Duration")
TIMESTAMP = Spec("timestamp", PROTOBUF + "Timestamp")
STRUCT = Spec("struct", PROTOBUF + "Struct")


def _message(name: str, /, **fields: Spec) -> Spec:
    label = name if name.startswith("type.") else FCM + name
    return Spec("message", label, fields)


def _enum(name: str, *values: str) -> Spec:
    return Spec("enum", FCM + name, values=values)


def _strings(entry: str) -> Spec:
    return Spec("map", FCM + entry, item=STRING)


def _list(item: Spec) -> Spec:
    return Spec("list", item.label, item=item)


COLOR = _message(
    "type.googleapis.com/google.type.Color",
    red=FLOAT,
    green=FLOAT,
    blue=FLOAT,
    alpha=FLOAT,
)
LIGHT_SETTINGS = _message(
    "LightSettings",
    color=COLOR,
    light_on_duration=DURATION,
    light_off_duration=DURATION,
)
NOTIFICATION = _message("Notification", title=STRING, body=STRING, image=STRING)
ANDROID_NOTIFICATION = _message(
    "AndroidNotification",
    title=STRING,
    body=STRING,
    icon=STRING,
    color=STRING,
    sound=STRING,
    tag=STRING,
    click_action=STRING,
    body_loc_key=STRING,
    body_loc_args=_list(STRING),
    title_loc_key=STRING,
    title_loc_args=_list(STRING),
    channel_id=STRING,
    ticker=STRING,
    sticky=BOOL,
    event_time=TIMESTAMP,
    local_only=BOOL,
    notification_priority=_enum(
        "AndroidNotification.NotificationPriority",
        "PRIORITY_UNSPECIFIED",
        "PRIORITY_MIN",
        "PRIORITY_LOW",
        "PRIORITY_DEFAULT",
        "PRIORITY_HIGH",
        "PRIORITY_MAX",
    ),
    default_sound=BOOL,
    default_vibrate_timings=BOOL,
    default_light_settings=BOOL,
    vibrate_timings=_list(DURATION),
    visibility=_enum(
        "AndroidNotification.Visibility",
        "VISIBILITY_UNSPECIFIED",
        "PRIVATE",
        "PUBLIC",
        "SECRET",
    ),
    notification_count=INT32,
    light_settings=LIGHT_SETTINGS,
    image=STRING,
    bypass_proxy_notification=BOOL,
    proxy=_enum(
        "AndroidNotification.Proxy",
        "PROXY_UNSPECIFIED",
        "ALLOW",
        "DENY",
        "IF_PRIORITY_LOWERED",
    ),
)
ANDROID = _message(
    "AndroidConfig",
    collapse_key=STRING,
    priority=_enum("AndroidMessagePriority", "NORMAL", "HIGH"),
    ttl=DURATION,
    restricted_package_name=STRING,
    data=_strings("AndroidConfig.DataEntry"),
    notification=ANDROID_NOTIFICATION,
    fcm_options=_message("AndroidFcmOptions", analytics_label=STRING),
    direct_boot_ok=BOOL,
    bandwidth_constrained_ok=BOOL,
    restricted_satellite_ok=BOOL,
)
APNS = _message(
    "ApnsConfig",
    headers=_strings("ApnsConfig.HeadersEntry"),
    payload=STRUCT,
    fcm_options=_message("ApnsFcmOptions", analytics_label=STRING, image=STRING),
    live_activity_token=STRING,
)
WEBPUSH = _message(
    "WebpushConfig",
    headers=_strings("WebpushConfig.HeadersEntry"),
    data=_strings("WebpushConfig.DataEntry"),
    notification=STRUCT,
    fcm_options=_message("WebpushFcmOptions", link=STRING, analytics_label=STRING),
)
MESSAGE = _message(
    "Message",
    name=STRING,
    data=_strings("Message.DataEntry"),
    notification=NOTIFICATION,
    android=ANDROID,
    webpush=WEBPUSH,
    apns=APNS,
    fcm_options=_message("FcmOptions", analytics_label=STRING),
    token=STRING,
    topic=STRING,
    condition=STRING,
)
SEND = _message("SendMessageRequest", validate_only=BOOL, message=MESSAGE)
TARGETS = ("token", "topic", "condition")


def read(document: object) -> tuple[dict[str, Any], list[Violation]]:
    """Map a parsed body onto the send request; return it and every violation."""
    violations: list[Violation] = []
    if not isinstance(document, dict):
        problem = "Invalid JSON payload received. Root element must be a message."
        return {}, [("", problem)]
    request = _fields(document, SEND, "", violations)
    message = request.get("message", {})
    given = [name for name in TARGETS if name in message]
    for extra in given[1:]:
        violations.append(
            (
                "message",
                "Invalid JSON payload received. Oneof field 'target' is already "
                f"set. Cannot set '{extra}'",
            )
        )
    return request, violations


def _fields(
    value: dict[str, Any], spec: Spec, path: str, violations: list[Violation]
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in value.items():
        name = _proto_name(key)
        where = f"{path}.{name}" if path else name
        if name not in spec.fields:
            at = f" at '{path}'" if path else ""
            problem = f'Unknown name "{key}"{at}: Cannot find field.'
            violations.append((path, f"Invalid JSON payload received. {problem}"))
        elif item is None:
            continue
        elif isinstance(item, list) and spec.fields[name].kind != "list":
            at = f" at '{path}'" if path else ""
            problem = f'Unknown name "{key}"{at}: Proto field is not repeating, '
            problem += "cannot start list."
            violations.append((path, f"Invalid JSON payload received. {problem}"))
        else:
            result[name] = _value(item, spec.fields[name], where, violations)
    return result


def _value(value: object, spec: Spec, path: str, violations: list[Violation]) -> Any:
    result, problem = _READERS[spec.kind](value, spec, path, violations)
    if problem is not None:
        violations.append((path, problem or _invalid(path, spec, value)))
    return result


Read = tuple[Any, str | None]
"""A value as read, and None, or why it is wrong ("" for the usual wording)."""


def _read_message(
    value: object, spec: Spec, path: str, violations: list[Violation]
) -> Read:
    if not isinstance(value, dict):
        return {}, ""
    return _fields(value, spec, path, violations), None


def _read_map(
    value: object, spec: Spec, path: str, violations: list[Violation]
) -> Read:
    if not isinstance(value, dict) or spec.item is None:
        return {}, ""
    result = {
        key: _value(item, spec.item, f"{path}[{index}].value", violations)
        for index, (key, item) in enumerate(value.items())
    }
    return result, None


def _read_list(
    value: object, spec: Spec, path: str, violations: list[Violation]
) -> Read:
    if not isinstance(value, list) or spec.item is None:
        return [], ""
    items = [
        _value(item, spec.item, f"{path}[{index}]", violations)
        for index, item in enumerate(value)
    ]
    return items, None


def _read_scalar(value: object, spec: Spec, path: str, _: list[Violation]) -> Read:
    if spec.kind == "string":
        ok = isinstance(value, str)
    elif spec.kind == "bool":
        ok = isinstance(value, bool)
    elif spec.kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif spec.kind == "struct":
        ok = isinstance(value, dict)
    elif spec.kind == "timestamp":
        ok = isinstance(value, str) and bool(_TIMESTAMP.fullmatch(value))
    else:
        return _read_int32(value)
    return value, None if ok else ""


def _read_int32(value: object) -> Read:
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,10}", value):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if type(value) is int and -_INT32 <= value < _INT32:
        return value, None
    return value, ""


def _read_enum(value: object, spec: Spec, path: str, _: list[Violation]) -> Read:
    if isinstance(value, str) and value.upper() in spec.values:
        return value.upper(), None
    if type(value) is int and 0 <= value < len(spec.values):
        return spec.values[value], None
    return value, ""


def _read_duration(value: object, spec: Spec, path: str, _: list[Violation]) -> Read:
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        if not isinstance(value, str):
            return timedelta(0), ""
        leaf = path.rsplit(".", 1)[-1].split("[")[0]
        return timedelta(0), (
            f"{_invalid_at(path, spec)}, Field '{leaf}', Illegal duration format"
        )
    sign, whole, fraction = match.groups()
    seconds = _numbers.digits(whole, MAX_DURATION) or 0
    micros = int((fraction or "0").ljust(9, "0")[:6])
    duration = timedelta(seconds=seconds, microseconds=micros)
    return (-duration if sign else duration), None


_READERS = {
    "message": _read_message,
    "map": _read_map,
    "list": _read_list,
    "enum": _read_enum,
    "duration": _read_duration,
    "string": _read_scalar,
    "bool": _read_scalar,
    "int32": _read_scalar,
    "float": _read_scalar,
    "struct": _read_scalar,
    "timestamp": _read_scalar,
}


def _invalid(path: str, spec: Spec, value: object) -> str:
    shown = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return f"{_invalid_at(path, spec)}, {shown}"


def _invalid_at(path: str, spec: Spec) -> str:
    return f"Invalid value at '{path}' ({spec.label})"


def _proto_name(key: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), key)
