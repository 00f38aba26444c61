"""Parse Track API v1 requests into workspace commands.

Each parser takes an :class:`~.wire.Incoming` and returns one command, or
raises :class:`~.errors.TrackError` naming the field at fault. Path
identifiers are typed by shape (:meth:`Ref.from_path`); limits are checked in
UTF-8 bytes (:mod:`.limits`).
"""

from __future__ import annotations

import re
from typing import Any

from ..wire.body import json_type
from ..workspace import (
    AddDevice,
    AnonymousEvent,
    ChangeSegment,
    DeleteDevice,
    DeletePerson,
    Merge,
    PersonEvent,
    Ref,
    ReportMetric,
    SubmitForm,
    Suppress,
    Unsubscribe,
    Unsuppress,
    UpdatePerson,
)
from . import fields, limits
from .errors import Invalid
from .wire import Incoming

EVENT_TYPES = ("event", "page", "screen")
PUSH_EVENTS = ("opened", "converted", "delivered")
METRICS = (
    "bounced",
    "clicked",
    "converted",
    "deferred",
    "delivered",
    "dropped",
    "opened",
    "spammed",
)
ID_TYPES = ("id", "email", "cio_id")
SEGMENT_IDS = 1000
DELIVERY_ID = re.compile(r"[A-Za-z0-9_=-]{1,200}")
DEVICE_KEYS = {"id", "token", "platform", "last_used", "attributes"}


# -- people ----------------------------------------------------------------------


def path_ref(incoming: Incoming) -> Ref:
    """Return the person the ``{identifier}`` path parameter names."""
    value = incoming.path.get("identifier", "")
    ref = Ref.from_path(value)
    if not ref.value:
        raise Invalid("the path names nobody; put an id, email or cio_<id> in it")
    if ref.kind == "id":
        limits.check_id(ref.value, "identifier")
    return ref


def identify(incoming: Incoming) -> UpdatePerson:
    """Parse ``PUT /api/v1/customers/{identifier}`` (a flat attribute map)."""
    body = dict(incoming.body)
    links = fields.mapping(body.pop("cio_relationships", None), "cio_relationships")
    action = links.get("action", "add_relationships")
    if action not in ("add_relationships", "delete_relationships"):
        raise Invalid(
            f"cio_relationships.action {action!r} is not add_relationships or "
            "delete_relationships",
            "cio_relationships.action",
        )
    found = fields.relationships(
        links.get("relationships"), "cio_relationships.relationships"
    )
    return fields.person_update(
        path_ref(incoming),
        body,
        "",
        relationships=found,
        unrelate=action == "delete_relationships",
    )


def delete_person(incoming: Incoming) -> DeletePerson:
    """Parse ``DELETE /api/v1/customers/{identifier}``."""
    return DeletePerson(path_ref(incoming))


def suppress(incoming: Incoming) -> Suppress:
    """Parse ``POST /api/v1/customers/{identifier}/suppress``."""
    return Suppress(path_ref(incoming))


def unsuppress(incoming: Incoming) -> Unsuppress:
    """Parse ``POST /api/v1/customers/{identifier}/unsuppress``."""
    return Unsuppress(path_ref(incoming))


# -- events ----------------------------------------------------------------------


def person_event(incoming: Incoming) -> PersonEvent:
    """Parse ``POST /api/v1/customers/{identifier}/events``."""
    ref = path_ref(incoming)
    return PersonEvent(ref, **event_fields(incoming.body, "", "data"))


def anonymous_event(incoming: Incoming) -> AnonymousEvent:
    """Parse ``POST /api/v1/events``; ``anonymous_id`` is optional."""
    body = incoming.body
    anonymous_id = fields.text(body.get("anonymous_id"), "anonymous_id")
    return AnonymousEvent(anonymous_id, **event_fields(body, "", "data"))


def event_fields(body: dict[str, Any], field: str, data_key: str) -> dict[str, Any]:
    """Read name (trimmed), type, id, timestamp and data, checking their limits.

    A type other than page or screen is an ``event``, as the API documents.
    """

    def where(key: str) -> str:
        return f"{field}.{key}" if field else key

    name = fields.text(body.get("name"), where("name"), required=True)
    assert name is not None
    if not name.strip():
        raise Invalid(f"{where('name')} is only spaces; name the event", where("name"))
    kind = fields.text(body.get("type"), where("type"))
    data = fields.mapping(body.get(data_key), where(data_key))
    limits.check_event(name.strip(), data, where("name"), where(data_key))
    return {
        "name": name.strip(),
        "kind": kind if kind in EVENT_TYPES else "event",
        "event_id": fields.identifier(body.get("id"), where("id")),
        "timestamp": fields.unix(body.get("timestamp"), where("timestamp")),
        "data": data,
    }


# -- devices ---------------------------------------------------------------------


def add_device(incoming: Incoming) -> AddDevice:
    """Parse ``PUT /api/v1/customers/{identifier}/devices``.

    Keys the Python client puts beside ``id`` and ``platform`` are read as
    device attributes, under those in ``attributes``.
    """
    device = fields.mapping(incoming.body.get("device"), "device", required=True)
    token = fields.text(device.get("id"), "device.id", required=True)
    assert token is not None
    extras = {k: v for k, v in device.items() if k not in DEVICE_KEYS}
    attributes = fields.mapping(device.get("attributes"), "device.attributes")
    return AddDevice(
        path_ref(incoming),
        token,
        fields.platform(device.get("platform"), "device.platform"),
        fields.unix(device.get("last_used"), "device.last_used"),
        extras | attributes,
    )


def delete_device(incoming: Incoming) -> DeleteDevice:
    """Parse ``DELETE /api/v1/customers/{identifier}/devices/{device_id}``."""
    return DeleteDevice(path_ref(incoming), incoming.path["device_id"])


# -- merge, segments, forms ------------------------------------------------------


def merge(incoming: Incoming) -> Merge:
    """Parse ``POST /api/v1/merge_customers``."""
    body = incoming.body
    return Merge(merge_side(body, "primary"), merge_side(body, "secondary"))


def merge_side(body: dict[str, Any], side: str, prefix: str = "") -> Ref:
    """Read ``primary`` or ``secondary``: exactly one of id, email or cio_id."""
    where = f"{prefix}{side}"
    value = fields.mapping(body.get(side), where, required=True)
    if len(value) != 1 or next(iter(value)) not in ID_TYPES:
        raise Invalid(
            f"{where} has {', '.join(sorted(value)) or 'no keys'}; send exactly "
            "one of id, email or cio_id",
            where,
        )
    kind, found = next(iter(value.items()))
    return fields.person_ref(kind, found, f"{where}.{kind}")


def add_to_segment(incoming: Incoming) -> ChangeSegment:
    """Parse ``POST /api/v1/segments/{segment_id}/add_customers``."""
    return segment(incoming, add=True)


def remove_from_segment(incoming: Incoming) -> ChangeSegment:
    """Parse ``POST /api/v1/segments/{segment_id}/remove_customers``."""
    return segment(incoming, add=False)


def segment(incoming: Incoming, *, add: bool) -> ChangeSegment:
    """Parse a manual segment change; ``id_type`` (id, email, cio_id) types the ids.

    Values that do not match the id type (an email without ``@``) are ignored,
    as documented, and reported to the model so it can keep them.
    """
    id_type = incoming.query.get("id_type", "id") or "id"
    if id_type not in ID_TYPES:
        raise Invalid(
            f"id_type {id_type!r} is not one of {', '.join(ID_TYPES)}", "id_type"
        )
    ids = incoming.body.get("ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= SEGMENT_IDS:
        raise Invalid(
            f"ids must be a list of 1 to {SEGMENT_IDS} identifiers", "ids", "required"
        )
    refs, ignored = [], []
    for index, value in enumerate(ids):
        found = fields.identifier(value, f"ids[{index}]", required=True)
        assert found is not None
        if id_type == "email" and "@" not in found:
            ignored.append(found)
            continue
        refs.append(fields.person_ref(id_type, found, f"ids[{index}]"))
    return ChangeSegment(incoming.path["segment_id"], tuple(refs), add, tuple(ignored))


def submit_form(incoming: Incoming) -> SubmitForm:
    """Parse ``POST /api/v1/forms/{form_id}/submit``."""
    data = fields.mapping(incoming.body.get("data"), "data", required=True)
    named = [k for k in ("email", "id") if data.get(k) not in (None, "")]
    if len(named) != 1:
        raise Invalid(
            "data needs exactly one of email or id to identify who sent the "
            f"form; it has {', '.join(named) or 'neither'}",
            "data",
        )
    values = {}
    for key, value in data.items():
        if value is None:
            continue
        found = fields.identifier(value, f"data.{key}") if key == "id" else value
        if not isinstance(found, str):
            raise Invalid(
                f"data.{key} is a JSON {json_type(value)}; form values must be strings",
                f"data.{key}",
            )
        values[key] = found
    ref = fields.person_ref(named[0], values[named[0]], f"data.{named[0]}")
    return SubmitForm(incoming.path["form_id"], ref, values)


# -- deliveries ------------------------------------------------------------------


def push_metric(incoming: Incoming) -> ReportMetric:
    """Parse ``POST /api/v1/push/events`` (and the legacy ``/push/events``)."""
    body = incoming.body
    event = fields.text(body.get("event"), "event", required=True)
    if event not in PUSH_EVENTS:
        raise Invalid(
            f"event {event!r} is not one of {', '.join(PUSH_EVENTS)}", "event"
        )
    return ReportMetric(
        _delivery_id(body.get("delivery_id"), "delivery_id"),
        event,
        fields.unix(body.get("timestamp"), "timestamp"),
        recipient=fields.text(body.get("device_id"), "device_id"),
    )


def metric(incoming: Incoming) -> ReportMetric:
    """Parse ``POST /api/v1/metrics``."""
    body = incoming.body
    name = fields.text(body.get("metric"), "metric", required=True)
    if name not in METRICS:
        raise Invalid(f"metric {name!r} is not one of {', '.join(METRICS)}", "metric")
    return ReportMetric(
        _delivery_id(body.get("delivery_id"), "delivery_id"),
        name,
        fields.unix(body.get("timestamp"), "timestamp"),
        recipient=fields.identifier(body.get("recipient"), "recipient"),
        href=fields.text(body.get("href"), "href"),
        reason=fields.text(body.get("reason"), "reason"),
    )


def unsubscribe(incoming: Incoming) -> Unsubscribe:
    """Parse ``POST /unsubscribe/{delivery_id}``, which needs a JSON content type."""
    if incoming.content_type.split(";")[0].strip().lower() != "application/json":
        raise Invalid(
            "this endpoint needs Content-Type: application/json; send that header",
            "Content-Type",
        )
    delivery_id = _delivery_id(incoming.path["delivery_id"], "delivery_id")
    wanted = fields.boolean(incoming.body.get("unsubscribe"), "unsubscribe")
    return Unsubscribe(delivery_id, wanted)


def _delivery_id(value: Any, field: str) -> str:
    found = fields.text(value, field, required=True)
    assert found is not None
    if not DELIVERY_ID.fullmatch(found):
        raise Invalid(
            f"{field} {found[:40]!r} is not a delivery id; send the "
            "CIO-Delivery-ID the message carried",
            field,
        )
    return found
