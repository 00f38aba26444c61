"""Parse App API requests into typed calls and serialise workspace records back.

Nothing here holds state. The shapes follow Customer.io's public App API docs;
where the published document was not available (it is not kept in this repo),
the details are named policies here and marked UNCONFIRMED:

- ``UNKNOWN_FIELDS_REFUSED``: a send with a field the API does not document is
  refused with 400 naming the nearest known field, so a typo cannot pass quietly.
- ``DEFAULT_LIMIT`` (10) and ``MAX_LIMIT`` (100) apply to every listing; a
  listing runs newest first and ``next`` is the id of the first item of the next
  page (pass it back as ``start``), or ``""`` on the last page.
- Attribute values come back as text, as the real lookups show them; objects and
  lists stay JSON. Each attribute is stamped with when it was last set, or the
  profile's creation time when the workspace kept no time for it.
- Devices read ``{"id": token, "platform", "last_used", "attributes"}``.
- Events list as activity type ``event`` (``page``, ``screen`` for those
  calls); deliveries as ``<state>_<channel>`` (``sent_push``,
  ``undeliverable_push``) and each metric as ``<metric>_<channel>``
  (``delivered_push``, ``opened_push``).
- Messages carry ``broadcast_id`` (null unless a broadcast trigger sent it),
  ``state`` and, when nothing reached the person,
  ``failure_message``; ``forgotten`` is true and the content null when the send
  asked for ``disable_message_retention``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..transactional import (
    CustomDevice,
    Identifier,
    Record,
    SendPush,
    State,
    record_of,
    state_of,
    unsubscribed,
)
from ..wire.body import NotJson, load_json
from ..workspace import Delivery, Device, Person, Workspace
from .errors import BadRequest, NotFound, TooLarge

BODY_LIMIT = 1024 * 1024
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
IDS_LIMIT = 100
UNKNOWN_FIELDS_REFUSED = True
ID_TYPES = ("id", "email", "cio_id", "phone")
SEND_FIELDS = (
    "transactional_message_id", "identifiers", "to", "title", "message",
    "image_url", "link", "sound", "custom_data", "custom_payload",
    "custom_device", "message_data", "send_at", "language", "queue_draft",
    "disable_message_retention", "send_to_unsubscribed",
)  # fmt: skip
DEVICE_FIELDS = ("token", "platform", "last_used", "attributes")
EVENT_TYPES = {"track": "event", "page": "page", "screen": "screen"}

Document = dict[str, Any]


# -- requests --------------------------------------------------------------------


def bearer_key(authorization: str | None) -> str | None:
    """Return the App API key from ``Authorization: Bearer <key>``."""
    scheme, _, key = (authorization or "").strip().partition(" ")
    return (key.strip() or None) if scheme.lower() == "bearer" else None


def decode(
    raw: bytes,
    *,
    example: str = '{"identifiers": ...}',
    bulk: str = "message_data or custom_payload",
) -> Document:
    """Return the request's JSON object, refusing what the API would refuse.

    ``example`` and ``bulk`` fit the hints to the route: a sample body, and
    what to send less of when it is too large.
    """
    if len(raw) > BODY_LIMIT:
        raise TooLarge(
            f"body is {len(raw)} bytes; the App API takes at most {BODY_LIMIT}. "
            f"Send less {bulk}."
        )
    try:
        body = load_json(raw or b"null")
    except NotJson as error:
        raise BadRequest(f"body is not valid JSON ({error}); send one object") from None
    if not isinstance(body, dict):
        raise BadRequest(f"body must be one JSON object, such as {example}")
    return body


def send_push(body: Document) -> SendPush:
    """Parse a ``POST /v1/send/push`` body into a typed send."""
    unknown = sorted(set(body) - set(SEND_FIELDS))
    if unknown and UNKNOWN_FIELDS_REFUSED:
        raise BadRequest(unknown_text("field", unknown[0], SEND_FIELDS))
    message = body.get("transactional_message_id")
    if message is not None and not _id_like(message):
        raise BadRequest(
            "transactional_message_id must be a message's number or trigger name, "
            f"not {kind_of(message)}"
        )
    return SendPush(
        identifier=_identifier(body.get("identifiers")),
        message=message,
        to=_text(body, "to") or "all",
        title=_text(body, "title"),
        body=_text(body, "message"),
        link=_text(body, "link"),
        image_url=_text(body, "image_url"),
        sound=_text(body, "sound"),
        custom_data=_strings(body, "custom_data"),
        custom_payload=_payload(body),
        custom_device=_device(body.get("custom_device")),
        message_data=_object(body, "message_data"),
        send_at=_instant(body.get("send_at"), "send_at"),
        language=_text(body, "language"),
        queue_draft=_flag(body, "queue_draft", False),
        retain=not _flag(body, "disable_message_retention", False),
        send_to_unsubscribed=_flag(body, "send_to_unsubscribed", True),
    )


RECORDED = ("email", "sms", "whatsapp", "inbox_message", "in_app")


def recorded_send(channel: str, body: Document) -> tuple[Identifier, str, str]:
    """Parse a send of a channel the emulator keeps but does not deliver.

    Returns the person's identifier and the message's subject and text, read
    from the fields each channel uses (``subject``/``body`` for email,
    ``body`` or ``message`` elsewhere); a template id alone is kept as-is.
    """
    identifier = _identifier(body.get("identifiers"))
    message = body.get("transactional_message_id")
    subject = _text(body, "subject") or _text(body, "title") or ""
    text = _text(body, "body") or _text(body, "message") or ""
    if not (subject or text or message is not None):
        raise BadRequest(
            f"a {channel} send needs transactional_message_id or its content "
            "(subject and body for email, body for the others)"
        )
    if not subject and message is not None:
        subject = f"transactional message {message}"
    return identifier, subject, text


def _identifier(value: object) -> Identifier:
    kinds = ("id", "email", "cio_id")
    if not isinstance(value, dict) or len(value) != 1 or set(value) - set(kinds):
        shown = sorted(value) if isinstance(value, dict) else kind_of(value)
        raise BadRequest(
            "identifiers must hold exactly one of id, email or cio_id, such as "
            f'{{"id": "42"}}; got {shown}'
        )
    ((kind, name),) = value.items()
    if not _id_like(name):
        raise BadRequest(f"identifiers.{kind} must be text, not {kind_of(name)}")
    return Identifier(kind, str(name))


def _device(value: object) -> CustomDevice | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRequest(f"custom_device must be an object, not {kind_of(value)}")
    unknown = sorted(set(value) - set(DEVICE_FIELDS))
    if unknown:
        raise BadRequest(unknown_text("custom_device field", unknown[0], DEVICE_FIELDS))
    token, platform = value.get("token"), value.get("platform")
    if not isinstance(token, str) or not isinstance(platform, str):
        raise BadRequest(
            "custom_device needs token and platform as text, such as "
            '{"token": "...", "platform": "ios"}'
        )
    last_used = _instant(value.get("last_used"), "custom_device.last_used")
    attributes = _object(value, "attributes", "custom_device.")
    return CustomDevice(token, platform, last_used, attributes)


def _payload(body: Document) -> Document:
    payload = _object(body, "custom_payload")
    for platform, value in payload.items():
        if not isinstance(value, dict):
            raise BadRequest(
                f"custom_payload.{platform} must be an object, not {kind_of(value)}"
            )
    return payload


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"{key} must be text, not {kind_of(value)}")
    return value


def _flag(body: Document, key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise BadRequest(f"{key} must be true or false, not {kind_of(value)}")
    return value


def _object(body: Mapping[str, Any], key: str, prefix: str = "") -> Document:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{prefix}{key} must be an object, not {kind_of(value)}")
    return value


def _strings(body: Document, key: str) -> dict[str, str]:
    values = _object(body, key)
    for name, value in values.items():
        if not isinstance(value, str):
            raise BadRequest(
                f"{key}.{name} is {kind_of(value)}; every {key} value must be text, "
                "so quote it"
            )
    return values


def _instant(value: object, key: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequest(f"{key} must be a Unix time in whole seconds, not {value!r}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise BadRequest(f"{key} {value} is past any date; send Unix seconds") from None


def query_limit(raw: str | None) -> int:
    """Return the page size asked for: 1 to ``MAX_LIMIT``, ``DEFAULT_LIMIT`` unset."""
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit {raw!r} is not a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def id_type(raw: str | None) -> str:
    """Return the ``id_type`` query parameter, ``id`` when absent."""
    value = raw or "id"
    if value not in ID_TYPES:
        raise BadRequest(unknown_text("id_type", value, ID_TYPES))
    return value


def ids(body: Document) -> list[str]:
    """Return the ids of a ``POST /v1/customers/attributes`` body."""
    value = body.get("ids")
    if not isinstance(value, list) or not all(_id_like(i) for i in value):
        raise BadRequest('ids must be a list of ids as text, such as {"ids": ["42"]}')
    if len(value) > IDS_LIMIT:
        raise BadRequest(
            f"ids holds {len(value)} ids; ask for at most {IDS_LIMIT} per request"
        )
    return [str(i) for i in value]


def find_person(workspace: Workspace, identifier: str, kind: str) -> Person | None:
    """Return the person ``identifier`` names when read as ``kind``, if any."""
    if kind == "phone":
        people = workspace.people.values()
        return next(
            (p for p in people if p.attributes.get("phone") == identifier), None
        )
    if kind == "cio_id":
        return workspace.find(f"cio_{identifier.removeprefix('cio_')}")
    found = workspace.find(identifier)
    if found is None:
        return None
    named = (
        found.email == identifier.lower() if kind == "email" else found.id == identifier
    )
    return found if named else None


def person(workspace: Workspace, identifier: str, kind: str) -> Person:
    """Return the person ``identifier`` names, or raise NotFound saying so."""
    found = find_person(workspace, identifier, kind)
    if found is None:
        raise NotFound(
            f"no person has {kind} {identifier!r} in this workspace; check the "
            "identifier and id_type (id, email, cio_id or phone)"
        )
    return found


def page(
    items: list[Document], start: str | None, limit: int
) -> tuple[list[Document], str]:
    """Cut one page from ``items`` (newest first) at the ``start`` cursor."""
    first = 0
    if start:
        positions = [i for i, item in enumerate(items) if item["id"] == start]
        if not positions:
            raise BadRequest(
                f"start {start!r} is no cursor of this listing; pass the next "
                "value of the page before, or leave start out for the first page"
            )
        first = positions[0]
    chosen = items[first : first + limit]
    rest = items[first + limit : first + limit + 1]
    return chosen, rest[0]["id"] if rest else ""


# -- answers ---------------------------------------------------------------------


def error_body(message: str) -> Document:
    """Return the App API's error shape: ``{"meta": {"error": ...}}``."""
    return {"meta": {"error": message}}


def queued_body(delivery: Delivery) -> Document:
    """Return the answer to a send: the delivery id and when it was queued."""
    return {"delivery_id": delivery.id, "queued_at": _unix(delivery.created_at)}


def result_of(person: Person) -> Document:
    """Return a person as one of ``GET /v1/customers``'s results."""
    return {"cio_id": person.cio_id, "id": person.id, "email": person.email}


def customer_body(workspace: Workspace, person: Person) -> Document:
    """Return a person's identifiers, attributes, timestamps and devices."""
    created = _unix(person.created_at)
    attributes = {k: _attribute(v) for k, v in person.attributes.items()}
    identifiers = {"id": person.id, "email": person.email, "cio_id": person.cio_id}
    attributes.update({k: v for k, v in identifiers.items() if v is not None})
    attributes["_created_in_customerio_at"] = str(created)
    return {
        "id": person.id,
        "identifiers": identifiers,
        "attributes": attributes,
        "timestamps": {
            name: _unix(person.attribute_times[name])
            if name in person.attribute_times
            else created
            for name in attributes
        },
        "unsubscribed": unsubscribed(person),
        "devices": [_device_body(d) for d in workspace.devices.of(person)],
    }


def _device_body(device: Device) -> Document:
    return {
        "id": device.token,
        "platform": device.platform,
        "last_used": _unix(device.last_used),
        "attributes": {k: _attribute(v) for k, v in device.attributes.items()},
    }


def activities(workspace: Workspace, person: Person) -> list[Document]:
    """Return a person's events and delivery activity, newest first."""
    who = _who(person)
    found = [
        {
            "id": f"event-{index}",
            "type": EVENT_TYPES.get(event.kind, event.kind),
            "name": event.name,
            "timestamp": _unix(event.timestamp),
            "data": event.properties,
            **who,
        }
        for index, event in enumerate(workspace.events)
        if event.person == person.cio_id
    ]
    for delivery in workspace.deliveries_of(person):
        found.extend(_delivery_activities(delivery, who))
    return _newest_first(found, "timestamp")


def _delivery_activities(delivery: Delivery, who: Document) -> list[Document]:
    state, reason = state_of(delivery)
    channel = delivery.channel
    base = {"delivery_id": delivery.id, "delivery_type": channel, **who}
    name = _name_of(delivery)
    found = []
    if state is not State.SCHEDULED:
        data = {"recipient": _recipient(delivery)}
        if reason:
            data["failure_message"] = reason
        found.append(
            {
                "id": f"{delivery.id}-{state.value}",
                "type": f"{state.value}_{channel}",
                "name": name,
                "timestamp": _unix(_settled_at(delivery)),
                "data": data,
                **base,
            }
        )
    for metric, moments in delivery.metrics.items():
        for index, moment in enumerate(moments):
            found.append(
                {
                    "id": f"{delivery.id}-{metric}-{index}",
                    "type": f"{metric}_{channel}",
                    "name": name,
                    "timestamp": _unix(moment),
                    "data": {"recipient": _recipient(delivery)},
                    **base,
                }
            )
    return found


def messages(workspace: Workspace, person: Person) -> list[Document]:
    """Return a person's deliveries as message objects, newest first."""
    listed = [message_body(workspace, d) for d in workspace.deliveries_of(person)]
    return _newest_first(listed, "created")


def message_body(
    workspace: Workspace, delivery: Delivery, *, detail: bool = False
) -> Document:
    """Return a delivery as a message; ``detail`` adds content and verdicts."""
    state, reason = state_of(delivery)
    record = record_of(delivery)
    person = workspace.people.get(delivery.person)
    forgotten = record is not None and not record.call.retain
    subject = None if forgotten else delivery.subject
    found: Document = {
        "id": delivery.id,
        "type": delivery.channel,
        "created": _unix(delivery.created_at),
        **(_who(person) if person else {"customer_id": None}),
        "recipient": _recipient(delivery),
        "subject": subject,
        "campaign": delivery.campaign,
        "broadcast_id": _broadcast_id(delivery),
        "transactional_message_id": _template_id(record),
        "state": state.value,
        "metrics": _metrics(delivery, state),
        "forgotten": forgotten,
    }
    if delivery.channel == "push":
        found["title"] = subject
    if reason:
        found["failure_message"] = reason
    if detail:
        found.update(_detail(delivery, forgotten))
    return found


def _detail(delivery: Delivery, forgotten: bool) -> Document:
    record = record_of(delivery)
    found: Document = {
        "body": None if forgotten else delivery.body,
        "link": delivery.data.get("link"),
        "image_url": delivery.data.get("image_url"),
        "tokens": list(delivery.tokens),
        "verdicts": [
            {
                "token": v.token,
                "service": v.service,
                "accepted": v.accepted,
                "status": v.status,
                "reason": v.reason,
            }
            for v in delivery.verdicts
        ],
    }
    if record is not None:
        call = record.call
        found.update(
            {
                "to": call.to,
                "send_at": _unix(call.send_at) if call.send_at else None,
                "language": record.language,
                "sound": call.sound,
                "custom_data": call.custom_data,
                "custom_payload": call.custom_payload,
                "message_data": {} if forgotten else call.message_data,
            }
        )
    return found


def _metrics(delivery: Delivery, state: State) -> dict[str, int]:
    found = {}
    if state is not State.SCHEDULED:
        found[state.value] = _unix(_settled_at(delivery))
    for metric, moments in delivery.metrics.items():
        if moments:
            found[metric] = _unix(min(moments))
    return found


def _settled_at(delivery: Delivery) -> datetime:
    record = record_of(delivery)
    if record is not None and record.sent_at is not None:
        return record.sent_at
    return delivery.created_at


def _broadcast_id(delivery: Delivery) -> int | None:
    mark = delivery.data.get("broadcast")
    return mark.get("broadcast_id") if isinstance(mark, dict) else None


def _template_id(record: Record | None) -> int | None:
    return record.message.id if record and record.message else None


def _recipient(delivery: Delivery) -> str:
    return delivery.tokens[0] if delivery.tokens else ""


def _name_of(delivery: Delivery) -> str:
    record = record_of(delivery)
    if record is not None and record.message is not None:
        return record.message.name
    return delivery.campaign or ""


def _who(person: Person) -> Document:
    identifiers = {"id": person.id, "email": person.email, "cio_id": person.cio_id}
    return {"customer_id": person.id, "customer_identifiers": identifiers}


# -- helpers ---------------------------------------------------------------------


def _newest_first(items: list[Document], key: str) -> list[Document]:
    # Sorting oldest first keeps ties in the order they happened; reversing
    # then puts the later of two same-second items first.
    return list(reversed(sorted(items, key=lambda item: int(item[key]))))


def _attribute(value: object) -> object:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    return value


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _id_like(value: object) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and value != ""


def unknown_text(what: str, name: str, known: tuple[str, ...]) -> str:
    """Say that ``name`` is no ``what`` the API takes, with the nearest known one."""
    near = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {near[0]}? " if near else ""
    return (
        f"{what} {name!r} is not one the App API takes; {hint}Known: {', '.join(known)}"
    )


def kind_of(value: object) -> str:
    """Name a JSON value's type for an error message: an object, text, null."""
    names = {
        dict: "an object",
        list: "a list",
        str: "text",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    if value is None:
        return "null"
    return names.get(type(value), f"a {type(value).__name__}")
