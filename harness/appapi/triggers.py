"""Parse broadcast trigger requests into typed calls; serialise triggers back.

Nothing here holds state. The shapes follow Customer.io's App API reference
(Broadcasts: trigger a broadcast, get its status, its errors, its triggers) and
its page of common API-triggered broadcast errors. Errors on these routes read
``{"errors": [{"detail": "...", "status": "404"}]}``, as that page shows, not
the ``{"meta": {"error": ...}}`` of the send and lookup routes. A body that is
not JSON is 400; keys and values the API does not take are 422, as the page
lists "mistyped keys or values" among a 422's causes.

Named policies, where the real API is UNCONFIRMED:

- ``AUDIENCES``: a trigger names its recipients with at most one of ids,
  emails, per_user_data, recipients or data_file_url; two are 422. With none,
  the broadcast's own audience is used.
- ``data_file_url`` is not emulated (the emulator fetches nothing from other
  hosts); a trigger with one is 422 saying to send ``per_user_data`` instead.
- ``recipients`` filters take ``and``, ``or``, ``not``, ``segment: {id}`` and
  ``attribute: {field, operator: eq | exists, value}``; a segment id may be text,
  as the emulator's manual segments are named by text.
- An empty body is a trigger with no data for the broadcast's own audience.
- ``GET /v1/broadcasts`` and ``/v1/broadcasts/{id}`` show a broadcast's id,
  name, type, ``active`` and ``state`` (always running); its timestamps,
  actions, tags and author are not emulated.
- ``/errors`` pages by position: ``start`` is where the page begins (0 first)
  and ``next`` where the next one does, or 0 after the last.
"""

from __future__ import annotations

from typing import Any

from ..campaigns.broadcast import Broadcast
from ..campaigns.broadcaster import (
    AllOf,
    AnyOf,
    Filter,
    HasAttribute,
    InSegment,
    NoneOf,
    Recipient,
    Trigger,
    TriggerBroadcast,
)
from .errors import BadRequest, Unprocessable
from .wire import decode, kind_of, unknown_text

AUDIENCES = ("ids", "emails", "per_user_data", "recipients", "data_file_url")
FLAGS = ("id_ignore_missing", "email_ignore_missing", "email_add_duplicates")
FIELDS = ("data", *AUDIENCES, *FLAGS)
OPERATORS = ("eq", "exists")
FILTERS = ("and", "or", "not", "segment", "attribute")
ERRORS_LIMIT = 100

Document = dict[str, Any]


# -- requests --------------------------------------------------------------------


def number(raw: str, name: str) -> int:
    """Return a path's ``broadcast_id`` or ``trigger_id``: a whole number over 0."""
    if not _digits(raw) or int(raw) == 0:
        raise BadRequest(
            f"{name} {raw!r} is not a number; broadcasts and their triggers are "
            "addressed by their numeric ids, such as /v1/campaigns/1/triggers"
        )
    return int(raw)


def trigger(broadcast_id: int, raw: bytes) -> TriggerBroadcast:
    """Parse a ``POST /v1/campaigns/{broadcast_id}/triggers`` body."""
    body = (
        decode(raw, example=TRIGGER_EXAMPLE, bulk=TRIGGER_BULK) if raw.strip() else {}
    )
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise Unprocessable(unknown_text("key", unknown[0], FIELDS))
    named = [key for key in AUDIENCES if body.get(key) is not None]
    if len(named) > 1:
        raise Unprocessable(
            f"the trigger names its recipients with {' and '.join(named)}; send one "
            f"of {', '.join(AUDIENCES)}, or none for the broadcast's own audience"
        )
    source = named[0] if named else ""
    if source == "data_file_url":
        raise Unprocessable(
            "data_file_url is not emulated: the emulator fetches nothing from "
            "other hosts. Send the file's rows as per_user_data instead"
        )
    data = body.get("data")
    if data is not None and not isinstance(data, dict):
        raise Unprocessable(f"data must be an object, not {kind_of(data)}")
    listed = source in ("ids", "emails", "per_user_data")
    where = source == "recipients"
    return TriggerBroadcast(
        broadcast_id,
        data=data or {},
        recipients=_recipients(source, body[source]) if listed else None,
        source=source,
        where=_filter(body[source], source) if where else None,
        id_ignore_missing=_flag(body, "id_ignore_missing"),
        email_ignore_missing=_flag(body, "email_ignore_missing"),
        email_add_duplicates=_flag(body, "email_add_duplicates"),
    )


def _recipients(source: str, value: object) -> tuple[Recipient, ...]:
    if not isinstance(value, list) or not value:
        what = "an empty list" if value == [] else kind_of(value)
        raise Unprocessable(
            f"{source} must be a list naming at least one person, not {what}; "
            "leave it out to reach the broadcast's own audience"
        )
    if source == "per_user_data":
        rows = enumerate(value)
        return tuple(_row(item, f"per_user_data[{i}]") for i, item in rows)
    kind = "id" if source == "ids" else "email"
    return tuple(
        Recipient(kind, _identifier(kind, item, f"{source}[{i}]"))
        for i, item in enumerate(value)
    )


def _row(item: object, where: str) -> Recipient:
    if not isinstance(item, dict):
        raise Unprocessable(f"{where} must be an object, not {kind_of(item)}")
    unknown = sorted(set(item) - {"id", "email", "data"})
    if unknown:
        raise Unprocessable(
            unknown_text(f"{where} key", unknown[0], ("id", "email", "data"))
        )
    kinds = [k for k in ("id", "email") if k in item]
    if len(kinds) != 1:
        raise Unprocessable(
            f"{where} needs exactly one of id or email, such as "
            '{"id": "42", "data": {...}}'
        )
    data = item.get("data")
    if data is not None and not isinstance(data, dict):
        raise Unprocessable(f"{where}.data must be an object, not {kind_of(data)}")
    kind = kinds[0]
    named = _identifier(kind, item[kind], f"{where}.{kind}")
    return Recipient(kind, named, data or {})


def _identifier(kind: str, value: object, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        shown = kind_of(value)
        raise Unprocessable(f"{where} must be an {kind} as text, not {shown}")
    if kind == "email" and "@" not in str(value):
        raise Unprocessable(f"{where} {value!r} is not an email address")
    return str(value)


def _filter(value: object, where: str) -> Filter:
    if not isinstance(value, dict) or len(value) != 1:
        raise Unprocessable(
            f"{where} must be an object with one of {', '.join(FILTERS)}, such as "
            '{"segment": {"id": 7}}'
        )
    ((key, inner),) = value.items()
    if key not in FILTERS:
        raise Unprocessable(unknown_text(f"{where} filter", key, FILTERS))
    if key in ("and", "or"):
        if not isinstance(inner, list) or not inner:
            raise Unprocessable(f"{where}.{key} must be a non-empty list of filters")
        parts = tuple(_filter(f, f"{where}.{key}[{i}]") for i, f in enumerate(inner))
        return AllOf(parts) if key == "and" else AnyOf(parts)
    if key == "not":
        return NoneOf(_filter(inner, f"{where}.not"))
    if key == "segment":
        return InSegment(_segment(inner, f"{where}.segment"))
    return _attribute(inner, f"{where}.attribute")


def _segment(value: object, where: str) -> str:
    found = value.get("id") if isinstance(value, dict) else None
    if isinstance(found, bool) or not isinstance(found, str | int) or found == "":
        raise Unprocessable(f'{where} must be {{"id": <segment id>}}, got {value!r}')
    return str(found)


def _attribute(value: object, where: str) -> HasAttribute:
    if not isinstance(value, dict) or not isinstance(value.get("field"), str):
        raise Unprocessable(
            f'{where} must be {{"field": <name>, "operator": "eq" or "exists", '
            '"value": ...}}'
        )
    operator = value.get("operator")
    if operator not in OPERATORS:
        raise Unprocessable(
            f"{where}.operator must be one of {', '.join(OPERATORS)}, not {operator!r}"
        )
    if operator == "eq" and "value" not in value:
        raise Unprocessable(f"{where} with operator eq needs a value to compare")
    return HasAttribute(value["field"], operator, value.get("value"))


def _flag(body: Document, key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise Unprocessable(f"{key} must be true or false, not {kind_of(value)}")
    return value


def errors_start(raw: str | None) -> int:
    """Return the ``start`` of an errors page: where it begins, 0 when absent."""
    if raw is None or raw == "":
        return 0
    if not _digits(raw):
        raise BadRequest(f"start {raw!r} is not a position; pass the next of a page")
    return int(raw)


def errors_limit(raw: str | None) -> int:
    """Return the ``limit`` of an errors page, 1 to ``ERRORS_LIMIT``."""
    if raw is None:
        return ERRORS_LIMIT
    if not _digits(raw) or not 1 <= int(raw) <= ERRORS_LIMIT:
        raise BadRequest(
            f"limit {raw!r} is not a whole number from 1 to {ERRORS_LIMIT}"
        )
    return int(raw)


# -- answers ---------------------------------------------------------------------


def broadcast_body(broadcast: Broadcast) -> Document:
    """Return a broadcast as the broadcast routes list it (metadata only)."""
    return {
        "id": broadcast.id,
        "name": broadcast.name,
        "type": "triggered_broadcast",
        "active": True,
        "state": "running",
    }


def created_body(made: Trigger) -> Document:
    """Return the answer to a trigger: the id its status and errors are under."""
    return {"id": made.id}


def status_body(made: Trigger) -> Document:
    """Return a trigger as the status and triggers routes show it."""
    processed = made.processed_at
    return {
        "id": made.id,
        "broadcast_id": made.broadcast_id,
        "created_at": int(made.created_at.timestamp()),
        "processed_at": int(processed.timestamp()) if processed else 0,
    }


def errors_body(made: Trigger, start: int, limit: int) -> Document:
    """Return one page of a trigger's errors, each as ``line <n>: <problem>``."""
    chosen = made.errors[start : start + limit]
    following = start + limit if start + limit < len(made.errors) else 0
    return {"errors": chosen, "next": following}


def error_body(status: int, message: str) -> Document:
    """Return these routes' error shape: one item with the detail and status."""
    return {"errors": [{"detail": message, "status": str(status)}]}


TRIGGER_EXAMPLE = '{"data": {"headline": "..."}}'
TRIGGER_BULK = "data or per_user_data"


def _digits(raw: str) -> bool:
    """Tell whether ``raw`` is ASCII digits only (``"²".isdigit()`` is true)."""
    return raw.isascii() and raw.isdigit()
