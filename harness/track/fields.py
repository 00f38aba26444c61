"""Read typed fields out of decoded Track API bodies, for v1 and v2 alike.

Every reader names the field it reads with the path the caller gives
(``device.platform``, ``attributes.plan``), so an error points at the culprit
and says what to send instead. Timestamps are whole Unix seconds; a value of
10^11 or more is read as milliseconds sent by mistake and refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..wire.body import json_type
from ..workspace import Ref, Relationship, UpdatePerson
from . import limits
from .errors import Invalid

MILLISECONDS = 10**11
PLATFORMS = {"ios": "ios", "android": "android", "iOS": "ios"}
CONTROL = {"_timestamp", "_update"}
RESERVED = {"id", "email", "anonymous_id", "created_at", *CONTROL}


def mapping(value: Any, field: str, *, required: bool = False) -> dict[str, Any]:
    """Return an object field, {} when absent and not required."""
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        what = "missing" if value is None else f"a JSON {json_type(value)}"
        raise Invalid(f"{field} is {what}; send it as a JSON object", field)
    return value


def text(value: Any, field: str, *, required: bool = False) -> str | None:
    """Return a string field; "" counts as absent."""
    if value is None or value == "":
        if required:
            raise Invalid(
                f"{field} is missing; send it as a non-empty string",
                field,
                "required",
            )
        return None
    if not isinstance(value, str):
        raise Invalid(
            f"{field} is a JSON {json_type(value)}; send it as a string", field
        )
    return value


def identifier(value: Any, field: str, *, required: bool = False) -> str | None:
    """Return an id field, taking a number as its decimal text."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return text(value, field, required=required)


def unix(value: Any, field: str) -> datetime | None:
    """Return a Unix-seconds timestamp field as an aware datetime."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(
            f"{field} is a JSON {json_type(value)}; send whole Unix seconds "
            "such as 1772013598",
            field,
        )
    if value < 0 or value >= MILLISECONDS:
        hint = "looks like milliseconds; divide by 1000" if value > 0 else "is negative"
        raise Invalid(
            f"{field} {value} {hint}. The Track API takes Unix seconds", field
        )
    return datetime.fromtimestamp(value, UTC)


def boolean(value: Any, field: str) -> bool:
    """Return a boolean field, false when absent."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Invalid(
            f"{field} is a JSON {json_type(value)}; send true or false", field
        )
    return value


def platform(value: Any, field: str) -> str:
    """Return a device platform, reading the legacy iOS SDK's "iOS" as ios."""
    found = text(value, field, required=True)
    assert found is not None
    if found not in PLATFORMS:
        raise Invalid(
            f"{field} {found!r} is not ios or android; send the device's push platform",
            field,
        )
    return PLATFORMS[found]


def person_ref(kind: str, value: Any, field: str) -> Ref:
    """Return a reference of ``kind`` (id, email, cio_id, phone) from a value."""
    found = identifier(value, field, required=True)
    assert found is not None
    if kind == "id":
        limits.check_id(found, field)
    if kind == "cio_id" and found.startswith("cio_"):
        found = found[4:]
    return Ref.of(kind, found)


def person_update(
    ref: Ref,
    attributes: dict[str, Any],
    field: str,
    *,
    timestamp: datetime | None = None,
    relationships: tuple[Relationship, ...] = (),
    unrelate: bool = False,
) -> UpdatePerson:
    """Split an identify's attribute map into its reserved keys and the rest."""

    def where(key: str) -> str:
        return f"{field}.{key}" if field else key

    counted = {k: v for k, v in attributes.items() if k not in CONTROL}
    limits.check_attributes(counted, field)
    person_id = identifier(attributes.get("id"), where("id"))
    if person_id is not None:
        limits.check_id(person_id, where("id"))
    stamp = unix(attributes.get("_timestamp"), where("_timestamp"))
    return UpdatePerson(
        ref=ref,
        attributes={k: v for k, v in attributes.items() if k not in RESERVED},
        id=person_id,
        email=text(attributes.get("email"), where("email")),
        anonymous_id=text(attributes.get("anonymous_id"), where("anonymous_id")),
        created_at=unix(attributes.get("created_at"), where("created_at")),
        timestamp=timestamp or stamp,
        update_only=boolean(attributes.get("_update"), where("_update")),
        relationships=relationships,
        unrelate=unrelate,
    )


def relationships(value: Any, field: str) -> tuple[Relationship, ...]:
    """Read a list of ``{identifiers, relationship_attributes}`` objects."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Invalid(
            f"{field} is a JSON {json_type(value)}; send a list of relationships",
            field,
        )
    found = []
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        entry = mapping(item, where, required=True)
        ids = mapping(entry.get("identifiers"), f"{where}.identifiers", required=True)
        attributes = mapping(
            entry.get("relationship_attributes"), f"{where}.relationship_attributes"
        )
        found.append(object_ref(ids, f"{where}.identifiers", attributes))
    return tuple(found)


def object_ref(
    ids: dict[str, Any], field: str, attributes: dict[str, Any] | None = None
) -> Relationship:
    """Read an object's identifiers: object_type_id and object_id, or cio_object_id."""
    if "cio_object_id" in ids:
        cio = identifier(ids["cio_object_id"], f"{field}.cio_object_id", required=True)
        assert cio is not None
        return Relationship(None, cio, attributes or {})
    kind = identifier(ids.get("object_type_id"), f"{field}.object_type_id")
    object_id = identifier(ids.get("object_id"), f"{field}.object_id")
    if kind is None or object_id is None:
        raise Invalid(
            f"{field} needs object_type_id and object_id, or cio_object_id",
            field,
            "required",
        )
    limits.check_id(object_id, f"{field}.object_id")
    return Relationship(kind, object_id, attributes or {})
