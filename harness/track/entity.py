"""Parse Track API v2 operations (``/api/v2/entity``, each ``/batch`` item).

An operation is ``{"type": "person" | "object" | "delivery", "action": ...}``.
People are named by ``identifiers`` holding exactly one of id, email, phone or
cio_id (a merge names ``primary`` and ``secondary`` instead); devices carry
``device.token``, not v1's ``device.id``. Person attributes follow the v1
identify rules, with the operation's ``timestamp`` ordering updates. Errors
name the field inside the operation, so a batch's 207 points at the culprit.
"""

from __future__ import annotations

from typing import Any

from ..workspace import (
    AddDevice,
    ChangeObject,
    Command,
    DeleteDevice,
    DeletePerson,
    Merge,
    PersonEvent,
    Ref,
    Relate,
    ReportMetric,
    Suppress,
    Unsuppress,
)
from . import fields, limits, v1
from .errors import Invalid

PERSON_KINDS = ("id", "email", "phone", "cio_id")
PERSON_ACTIONS = (
    "identify",
    "delete",
    "event",
    "screen",
    "page",
    "add_relationships",
    "delete_relationships",
    "add_device",
    "delete_device",
    "suppress",
    "unsuppress",
    "merge",
)
OBJECT_ACTIONS = (
    "identify",
    "identify_anonymous",
    "delete",
    "add_relationships",
    "delete_relationships",
)


def operation(op: dict[str, Any]) -> Command:
    """Return the command one v2 operation asks for."""
    kind = op.get("type")
    action = fields.text(op.get("action"), "action", required=True)
    assert action is not None
    if kind == "person":
        return _person(op, _choose(action, PERSON_ACTIONS, "person"))
    if kind == "object":
        return _object(op, _choose(action, OBJECT_ACTIONS, "object"))
    if kind == "delivery":
        return _delivery(op, action)
    raise Invalid(
        f"type {kind!r} is not person, object or delivery; say what the "
        "operation changes",
        "type",
    )


def _choose(action: str, allowed: tuple[str, ...], kind: str) -> str:
    if action not in allowed:
        raise Invalid(
            f"action {action!r} is not one a {kind} takes; use one of "
            f"{', '.join(allowed)}",
            "action",
        )
    return action


def _person(op: dict[str, Any], action: str) -> Command:
    if action == "merge":
        primary = v1.merge_side(op, "primary")
        return Merge(primary, v1.merge_side(op, "secondary"))
    ref = _identifiers(op)
    timestamp = fields.unix(op.get("timestamp"), "timestamp")
    if action == "identify":
        attributes = fields.mapping(op.get("attributes"), "attributes")
        links = fields.relationships(op.get("cio_relationships"), "cio_relationships")
        return fields.person_update(
            ref, attributes, "attributes", timestamp=timestamp, relationships=links
        )
    if action in ("event", "screen", "page"):
        found = v1.event_fields(op, "", "attributes")
        return PersonEvent(ref, **(found | {"kind": action}))
    if action in ("add_relationships", "delete_relationships"):
        value = op.get("cio_relationships")
        if not value:
            raise Invalid(
                "cio_relationships is missing; list the objects to relate",
                "cio_relationships",
                "required",
            )
        links = fields.relationships(value, "cio_relationships")
        return Relate(ref, links, add=action == "add_relationships")
    if action == "delete":
        return DeletePerson(ref)
    if action in ("suppress", "unsuppress"):
        return Suppress(ref) if action == "suppress" else Unsuppress(ref)
    device = fields.mapping(op.get("device"), "device", required=True)
    token = fields.text(device.get("token"), "device.token", required=True)
    assert token is not None
    if action == "delete_device":
        return DeleteDevice(ref, token)
    return AddDevice(
        ref,
        token,
        fields.platform(device.get("platform"), "device.platform"),
        fields.unix(device.get("last_used"), "device.last_used"),
        fields.mapping(device.get("attributes"), "device.attributes"),
    )


def _identifiers(op: dict[str, Any]) -> Ref:
    ids = fields.mapping(op.get("identifiers"), "identifiers", required=True)
    if len(ids) != 1 or next(iter(ids)) not in PERSON_KINDS:
        raise Invalid(
            f"identifiers has {', '.join(sorted(ids)) or 'no keys'}; send "
            f"exactly one of {', '.join(PERSON_KINDS)}",
            "identifiers",
        )
    kind, value = next(iter(ids.items()))
    return fields.person_ref(kind, value, f"identifiers.{kind}")


def _object(op: dict[str, Any], action: str) -> ChangeObject:
    ids = fields.mapping(op.get("identifiers"), "identifiers", required=True)
    target = fields.object_ref(ids, "identifiers")
    attributes = fields.mapping(op.get("attributes"), "attributes")
    limits.check_attributes(attributes, "attributes")
    links = op.get("cio_relationships") or []
    if not isinstance(links, list):
        raise Invalid("cio_relationships must be a list", "cio_relationships")
    people, anonymous = [], []
    for index, link in enumerate(links):
        where = f"cio_relationships[{index}].identifiers"
        entry = fields.mapping(link, f"cio_relationships[{index}]", required=True)
        who = fields.mapping(entry.get("identifiers"), where, required=True)
        if action == "identify_anonymous":
            found = fields.text(who.get("anonymous_id"), f"{where}.anonymous_id")
            anonymous.append(found or "")
            continue
        kinds = [k for k in who if k in ("id", "email", "cio_id")]
        if len(who) != 1 or not kinds:
            raise Invalid(f"{where} needs exactly one of id, email or cio_id", where)
        people.append(fields.person_ref(kinds[0], who[kinds[0]], f"{where}.{kinds[0]}"))
    return ChangeObject(
        target, action, attributes, tuple(people), tuple(a for a in anonymous if a)
    )


def _delivery(op: dict[str, Any], action: str) -> ReportMetric:
    if action != "event":
        raise Invalid(
            f"action {action!r} is not one a delivery takes; use event", "action"
        )
    ids = fields.mapping(op.get("identifiers"), "identifiers", required=True)
    delivery_id = fields.text(ids.get("id"), "identifiers.id", required=True)
    name = fields.text(op.get("name"), "name", required=True)
    if name not in v1.PUSH_EVENTS:
        raise Invalid(
            f"name {name!r} is not one of {', '.join(v1.PUSH_EVENTS)}", "name"
        )
    attributes = fields.mapping(op.get("attributes"), "attributes", required=True)
    token = fields.text(
        attributes.get("device_token"), "attributes.device_token", required=True
    )
    assert delivery_id is not None
    return ReportMetric(
        delivery_id,
        name,
        fields.unix(op.get("timestamp"), "timestamp"),
        recipient=token,
    )
