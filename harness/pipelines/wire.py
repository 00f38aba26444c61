"""Parse Data Pipelines requests into typed workspace calls.

Accepts what every real client sends: JSON or ``text/plain`` bodies, gzip
(``Content-Encoding: gzip``, as the Android SDK sends), the long paths the server
libraries use (``/track``) and the one-letter paths of the browser and mobile SDKs
(``/t``, ``/b``). The write key comes from Basic auth or from ``writeKey`` in the
body. Nothing here holds state.

A call's ``timestamp`` is the sender's clock, which may be wrong. Where the call
(or its batch) also carries ``sentAt``, the sender's clock at upload, the
timestamp is corrected as Segment documents it and as Customer.io's Pipelines
examples show: ``timestamp = receivedAt - (sentAt - timestamp)``. A phone two
hours fast thus stamps its events at the true time. A call without ``sentAt``
(server libraries, backfills) keeps its timestamp as sent.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..wire.body import InflatesPast, NotGzip, NotJson, gunzip, json_type, load_json
from ..workspace import Alias, Call, Caller, Group, Identify, Track

logger = logging.getLogger(__name__)

REQUEST_LIMIT = 32 * 1024
BATCH_LIMIT = 500 * 1024

TYPES = {"identify", "track", "page", "screen", "group", "alias"}
SHORT = {
    "i": "identify",
    "t": "track",
    "p": "page",
    "s": "screen",
    "g": "group",
    "a": "alias",
    "b": "batch",
}


class WireError(Exception):
    """Raised when a request cannot be read at all (bad gzip, JSON or shape)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class TooLarge(WireError):
    """Raised when a request is over the documented size limit."""


@dataclass(frozen=True)
class Item:
    """One call of a request: parsed, or the reason it was refused."""

    index: int | None
    call: Call | None
    problem: str | None
    size: int


def decode_body(
    raw: bytes, content_encoding: str | None, limit: int
) -> tuple[dict[str, Any], int]:
    """Return the request's JSON object and its size once un-gzipped.

    A gzip body is inflated only up to ``limit``; past it :class:`TooLarge` is
    raised, so a small compressed body cannot expand without bound.
    """
    if content_encoding and content_encoding.strip().lower() == "gzip":
        try:
            raw = gunzip(raw, limit)
        except NotGzip as error:
            raise WireError(
                f"body is not valid gzip ({error}); send the gzip bytes, or drop the "
                "Content-Encoding: gzip header for a plain body"
            ) from None
        except InflatesPast as error:
            raise TooLarge(str(error)) from None
    if len(raw) > limit:
        raise TooLarge(f"request is {len(raw)} bytes; the limit here is {limit}")
    if not raw.strip():
        raise WireError('body is empty; send one JSON object such as {"userId": ...}')
    try:
        body = load_json(raw)
    except NotJson as error:
        raise WireError(
            f"body is not valid JSON ({error}); send one JSON object"
        ) from None
    if not isinstance(body, dict):
        raise WireError(
            f"body is a JSON {json_type(body)}, not an object; send "
            '{"userId": ..., ...} or {"batch": [...]}'
        )
    return body, len(raw)


def write_key(authorization: str | None, body: dict[str, Any]) -> str | None:
    """Return the write key from Basic auth (username), Bearer, or the body.

    Current server libraries send ``pk_``/``sk_`` API keys as Bearer tokens;
    the emulator accepts any key it knows under either scheme.
    """
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode()
        except (binascii.Error, ValueError):
            return None
        return decoded.split(":", 1)[0] or None
    key = body.get("writeKey")
    return key if isinstance(key, str) and key else None


def items(
    kind: str, body: dict[str, Any], now: datetime, size: int | None = None
) -> list[Item]:
    """Parse a request of ``kind`` (a type, or ``batch``) into its items.

    ``now`` is when the request arrived (receivedAt); each call's timestamp is
    corrected by its own ``sentAt``, or else the batch's. ``size`` is the
    decoded body's length: within the per-call limit, no call in it can pass
    the limit, so none is measured.
    """
    measure = size is None or size > REQUEST_LIMIT
    if kind != "batch":
        return [_item(None, kind, body, now, None, measure)]
    batch = body.get("batch")
    if not isinstance(batch, list):
        raise WireError('batch requests need "batch": a list of calls')
    sent_at = body.get("sentAt")
    parsed = []
    for index, entry in enumerate(batch):
        if not isinstance(entry, dict):
            parsed.append(Item(index, None, f"batch[{index}] is not an object", 0))
            continue
        kind = str(entry.get("type", ""))
        parsed.append(_item(index, kind, entry, now, sent_at, measure))
    return parsed


def _item(
    index: int | None,
    kind: str,
    data: dict[str, Any],
    now: datetime,
    sent_at: Any,
    measure: bool = True,
) -> Item:
    size = _size(data) if measure else 0
    where = "" if index is None else f"batch[{index}]: "
    try:
        if size > REQUEST_LIMIT:
            raise ValueError(f"call is {size} bytes; the limit is {REQUEST_LIMIT}")
        call = _call(kind, data, now, data.get("sentAt", sent_at))
    except ValueError as error:
        return Item(index, None, f"{where}{error}", size)
    return Item(index, call, None, size)


def _call(kind: str, data: dict[str, Any], now: datetime, sent_at: Any) -> Call:
    if kind not in TYPES:
        raise ValueError(f"type {kind!r} is not one of {', '.join(sorted(TYPES))}")
    caller = _caller(kind, data, now, sent_at)
    if kind == "identify":
        return Identify(caller, _mapping(data, "traits"))
    if kind == "track":
        event = data.get("event")
        if not isinstance(event, str) or not event:
            raise ValueError('track needs "event", a non-empty string')
        return Track(caller, event, _mapping(data, "properties"))
    if kind in ("page", "screen"):
        name = data.get("name")
        if name is not None and not isinstance(name, str):
            raise ValueError(f'"name" must be a string, not {type(name).__name__}')
        return Track(caller, name or "", _mapping(data, "properties"), kind=kind)
    if kind == "alias":
        previous = data.get("previousId")
        if not caller.user_id or not isinstance(previous, str) or not previous:
            raise ValueError('alias needs "userId" and "previousId"')
        return Alias(caller, previous)
    group = data.get("groupId")
    if not isinstance(group, str | int) or group == "":
        raise ValueError('group needs "groupId"')
    return Group(caller, str(group), _mapping(data, "traits"))


def _caller(kind: str, data: dict[str, Any], now: datetime, sent_at: Any) -> Caller:
    user_id = _identity(data, "userId")
    anonymous_id = _identity(data, "anonymousId")
    if kind != "alias" and not user_id and not anonymous_id:
        traits = data.get("traits")
        has_email = isinstance(traits, dict) and traits.get("email")
        if not (kind == "identify" and has_email):
            raise ValueError(f'{kind} needs "userId" or "anonymousId"')
    message_id = data.get("messageId")
    return Caller(
        user_id=user_id,
        anonymous_id=anonymous_id,
        message_id=str(message_id) if message_id not in (None, "") else None,
        timestamp=_corrected(data.get("timestamp"), sent_at, now),
        context=_mapping(data, "context"),
    )


def _identity(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f'"{key}" must be a string, not {type(value).__name__}')
    return str(value)


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f'"{key}" must be an object, not {type(value).__name__}')
    return value


def _corrected(stamped: Any, sent_at: Any, received_at: datetime) -> datetime:
    """Return when the call happened, corrected for the sender's clock skew."""
    if stamped is None:
        return received_at
    timestamp = _instant(stamped, "timestamp")
    if sent_at is None:
        return timestamp
    try:
        return received_at - (_instant(sent_at, "sentAt") - timestamp)
    except (ValueError, OverflowError) as error:
        # A broken upload clock must not cost the event: keep it as stamped.
        logger.info("sentAt %r not used to correct %r: %s", sent_at, stamped, error)
        return timestamp


def _instant(value: Any, key: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f'"{key}" must be an ISO-8601 string')
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f'"{key}" {value!r} is not ISO-8601; send e.g. 2026-03-02T09:00:00Z'
        ) from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f'"{key}" {value!r} falls outside years 1 to 9999 in UTC; send a real '
            "instant, e.g. 2026-03-02T09:00:00Z"
        ) from None


def error_body(messages: list[str]) -> dict[str, Any]:
    """Return the documented error shape: ``{"meta": {"errors": [...]}}``."""
    return {"meta": {"errors": messages}}


def settings_body(write_key: str, api_host: str) -> dict[str, Any]:
    """Return the project settings the SDKs fetch, pointing uploads at ``api_host``."""
    return {
        "integrations": {
            "Customer.io Data Pipelines": {"apiKey": write_key, "apiHost": api_host},
        },
        "plan": {"track": {"__default": {"enabled": True}}},
        "edgeFunction": {},
    }


def _size(data: dict[str, Any]) -> int:
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
