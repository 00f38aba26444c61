"""The Track API's documented limits, counted in UTF-8 bytes.

An id is at most 150 bytes; an attribute name 150 and an attribute value 1000
(a string counts its own bytes, anything else its compact JSON); at most 300
attributes per call; an event name at most 100 bytes and its data 100,000. For
v2, an ``/entity`` body is at most 32 KB, a ``/batch`` body 500 KB and each
batch item 32 KB. A value exactly at a limit is accepted.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import Invalid, TooLarge, Unreadable

ID_BYTES = 150
NAME_BYTES = 150
VALUE_BYTES = 1000
ATTRIBUTES = 300
EVENT_NAME_BYTES = 100
EVENT_DATA_BYTES = 100_000
ENTITY_BYTES = 32 * 1024
BATCH_BYTES = 500 * 1024
ITEM_BYTES = 32 * 1024


def size(value: Any) -> int:
    """Return the UTF-8 size of a string, or of anything else as compact JSON."""
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except RecursionError:
        raise Unreadable("a value nests too deeply to measure; flatten it") from None
    return len(text.encode("utf-8", "surrogatepass"))


def check_id(value: str, field: str) -> None:
    """Refuse an id over 150 bytes."""
    found = size(value)
    if found > ID_BYTES:
        raise Invalid(
            f"{field} is {found} bytes; an id may be at most {ID_BYTES} bytes "
            "of UTF-8. Use a shorter id",
            field,
            "too_long",
        )


def check_attributes(attributes: dict[str, Any], field: str) -> None:
    """Refuse more than 300 attributes, or a name or value over its limit."""
    if len(attributes) > ATTRIBUTES:
        raise Invalid(
            f"{field} has {len(attributes)} attributes; a call may set at most "
            f"{ATTRIBUTES}. Split it into several calls",
            field,
            "too_many",
        )
    for name, value in attributes.items():
        where = f"{field}.{name}" if field else name
        if size(name) > NAME_BYTES:
            raise Invalid(
                f"attribute name {name[:40]!r}... is {size(name)} bytes; names "
                f"may be at most {NAME_BYTES} bytes. Use a shorter name",
                where,
                "too_long",
            )
        found = size(value)
        if found > VALUE_BYTES:
            raise Invalid(
                f"{where} is {found} bytes; an attribute value may be at most "
                f"{VALUE_BYTES} bytes. Store less, or put it in event data",
                where,
                "too_long",
            )


def check_event(
    name: str, data: dict[str, Any], name_field: str, data_field: str
) -> None:
    """Refuse an event name over 100 bytes or data over 100,000 bytes."""
    if size(name) > EVENT_NAME_BYTES:
        raise Invalid(
            f"{name_field} is {size(name)} bytes; an event name may be at most "
            f"{EVENT_NAME_BYTES} bytes. Use a shorter name",
            name_field,
            "too_long",
        )
    found = size(data)
    if found > EVENT_DATA_BYTES:
        raise TooLarge(
            f"{data_field} is {found} bytes as JSON; event data may be at most "
            f"{EVENT_DATA_BYTES} bytes. Send less data with the event",
            data_field,
        )
