"""Seed a workspace in one request: people, their devices and their events.

``POST /_harness/workspaces/{name}/seed`` takes::

    {"people": [{"id": "u-1", "email": "u1@example.com",
                 "attributes": {"plan": "pro"}, "anonymous_ids": ["a-1"]}],
     "devices": [{"person": "u-1", "token": "f0e1...", "platform": "ios",
                  "attributes": {"push_enabled": "true"}}],
     "events": [{"person": "u-1", "name": "added_to_cart",
                 "properties": {"sku": "S-1"}, "timestamp": 1772442000}]}

Each part lands as the SDKs' own calls would: a person is an identify (one
more for each further anonymous id, which stitches it), a device a ``Device
Created or Updated`` event, an event a track, all stamped with the emulator's
clock unless an event gives its own ``timestamp`` (Unix seconds). Campaigns
trigger on seeded events as on any other. A device or event names its person
by id, email or ``cio_`` id: someone in the workspace, or seeded in the same
request. The body is checked whole first; every problem is reported at once,
as ``people[0].email: ...``, and nothing is applied.

A seed never drops part of itself: a person whose id or email is suppressed,
an email that belongs to someone else, an email other than the one a person
already has, and anything over the Track API's limits (ids and attribute names
150 bytes, attribute values 1000, 300 attributes, event names 100 bytes) are
problems like any other.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..track import limits
from ..track.errors import TrackError
from ..workspace import Call, Caller, Identify, Track, Workspace, WorkspaceError
from ..workspace.commands import Ref
from ..workspace.model import USER_EVENTS
from ..workspace.records import Device, Event, Person

PLATFORMS = ("ios", "android", "web")
KEYS = {
    "people": ("id", "email", "attributes", "anonymous_ids"),
    "devices": ("person", "token", "platform", "attributes"),
    "events": ("person", "anonymous_id", "name", "properties", "timestamp"),
}
DEVICE_EVENT = "Device Created or Updated"
TIMESTAMP_LIMIT = 100_000_000_000  # Unix seconds below this: about the year 5138

_TEXT = {"type": "string", "minLength": 1}
_OBJECT = {"type": "object"}
# The body as the control API's OpenAPI document describes it.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "people": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "anyOf": [{"required": ["id"]}, {"required": ["email"]}],
                "properties": {
                    "id": _TEXT,
                    "email": _TEXT,
                    "attributes": _OBJECT,
                    "anonymous_ids": {"type": "array", "items": _TEXT},
                },
            },
        },
        "devices": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["person", "token", "platform"],
                "properties": {
                    "person": _TEXT,
                    "token": _TEXT,
                    "platform": {"enum": ["ios", "android", "web"]},
                    "attributes": _OBJECT,
                },
            },
        },
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "anyOf": [{"required": ["person"]}, {"required": ["anonymous_id"]}],
                "properties": {
                    "person": _TEXT,
                    "anonymous_id": _TEXT,
                    "name": _TEXT,
                    "properties": _OBJECT,
                    "timestamp": {
                        "type": "number",
                        "minimum": 0,
                        "exclusiveMaximum": TIMESTAMP_LIMIT,
                    },
                },
            },
        },
    },
}


class SeedProblems(Exception):
    """Raised when a seed cannot be applied; carries every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Planted:
    """What a seed left in the workspace: its people, devices and events."""

    people: list[Person] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


@dataclass
class _Plan:
    """The calls a seed makes, each with where in the body it came from."""

    workspace: Workspace
    now: datetime
    calls: list[tuple[str, Call]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    named: set[str] = field(default_factory=set)
    people: list[str] = field(default_factory=list)
    anonymous: dict[str, str] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}")

    def within(self, check: Callable[..., None], *args: Any) -> None:
        """Run one of the Track API's limit checks, noting what it refuses."""
        try:
            check(*args)
        except TrackError as error:
            text = str(error)
            shown = text if text.startswith(error.field) else f"{error.field}: {text}"
            self.problems.append(shown)

    def knows(self, identifier: str) -> bool:
        """Tell whether a device or event may name ``identifier`` as its person."""
        found = self.workspace.find(identifier) is not None
        return found or _key(identifier) in self.named


def seed(workspace: Workspace, body: dict[str, Any]) -> Planted:
    """Check ``body`` whole, then apply it to ``workspace``; return what it made.

    Raises SeedProblems listing every problem, having applied nothing.
    """
    plan = _Plan(workspace, workspace.clock.now())
    for key in body:
        if key not in KEYS:
            plan.problem(key, "is not a part of a seed; send people, devices, events")
    readers: dict[str, Callable[[_Plan, str, dict[str, Any]], None]] = {
        "people": _person,
        "devices": _device,
        "events": _event,
    }
    for part, read in readers.items():
        for where, item in _items(plan, body, part):
            read(plan, where, item)
    for where, call in plan.calls:
        _check(plan, where, call)
    if plan.problems:
        raise SeedProblems(plan.problems)
    return _apply(plan)


def _items(
    plan: _Plan, body: dict[str, Any], part: str
) -> list[tuple[str, dict[str, Any]]]:
    listed = body.get(part, [])
    if not isinstance(listed, list):
        plan.problem(part, f"must be a list, not {_kind(listed)}")
        return []
    found = []
    for index, item in enumerate(listed):
        where = f"{part}[{index}]"
        if not isinstance(item, dict):
            plan.problem(where, f"must be an object, not {_kind(item)}")
            continue
        for key in item:
            if key not in KEYS[part]:
                plan.problem(
                    f"{where}.{key}", f"is not known; use {', '.join(KEYS[part])}"
                )
        found.append((where, item))
    return found


def _person(plan: _Plan, where: str, item: dict[str, Any]) -> None:
    id_, email = _text(plan, where, item, "id"), _text(plan, where, item, "email")
    attributes = _mapping(plan, where, item, "attributes")
    if id_ is None and email is None:
        plan.problem(where, 'needs "id" or "email" to name the person')
        return
    if id_ is not None and "@" in id_:
        plan.problem(f"{where}.id", f"{id_!r} looks like an email; give it as email")
    if email is not None and "@" not in email:
        plan.problem(f"{where}.email", f"{email!r} has no @; give an email address")
    for key in ("id", "email"):
        if key in attributes:
            plan.problem(f"{where}.attributes.{key}", f"give it as {where}.{key}")
    anonymous = _anonymous_ids(plan, where, item)
    identifier = id_ or email
    assert identifier is not None
    _checked_person(plan, where, id_, email)
    plan.within(limits.check_attributes, attributes, f"{where}.attributes")
    plan.people.append(identifier)
    for name in {id_, email} - {None}:
        assert name is not None
        if _key(name) in plan.named:
            plan.problem(where, f"{name!r} is seeded twice; give each person once")
        plan.named.add(_key(name))
    _owned(plan, where, identifier, anonymous)
    traits = {**attributes, **({"email": email} if email else {})}
    first = anonymous[0] if anonymous else None
    plan.calls.append((where, Identify(_caller(plan, identifier, first), traits)))
    for other in anonymous[1:]:
        plan.calls.append((where, Identify(_caller(plan, identifier, other), {})))


def _checked_person(
    plan: _Plan, where: str, id_: str | None, email: str | None
) -> None:
    """Refuse what the workspace would drop of a person: nothing is dropped."""
    workspace = plan.workspace
    for key, value in (("id", id_), ("email", email)):
        if value is None:
            continue
        plan.within(limits.check_id, value, f"{where}.{key}")
        if workspace.suppression(Ref.of(key, value)) is not None:
            plan.problem(
                f"{where}.{key}",
                f"{value!r} is suppressed, so the person would be dropped; "
                "unsuppress them first (Track API), or leave them out",
            )
    if email is None:
        return
    person = workspace.find(id_) if id_ is not None else None
    holder = workspace.find(email)
    if id_ is not None and holder is not None and holder is not person:
        plan.problem(
            f"{where}.email",
            f"{email!r} belongs to {holder.label} already, so it would not be "
            f"set on {id_!r}; give another email, or seed {holder.label} instead",
        )
    elif person is not None and person.email not in (None, email.lower()):
        plan.problem(
            f"{where}.email",
            f"{id_!r} has the email {person.email!r} already, and a seed does not "
            "replace it; give that email, or leave email out",
        )


def _anonymous_ids(plan: _Plan, where: str, item: dict[str, Any]) -> list[str]:
    listed = item.get("anonymous_ids", [])
    if not isinstance(listed, list) or not all(
        isinstance(a, str) and a for a in listed
    ):
        plan.problem(f"{where}.anonymous_ids", "must be a list of non-empty strings")
        return []
    for index, anonymous_id in enumerate(listed):
        plan.within(limits.check_id, anonymous_id, f"{where}.anonymous_ids[{index}]")
    return list(dict.fromkeys(listed))


def _owned(plan: _Plan, where: str, identifier: str, anonymous: list[str]) -> None:
    """Refuse anonymous ids that someone else holds, in the workspace or the seed."""
    person = plan.workspace.find(identifier)
    for index, anonymous_id in enumerate(anonymous):
        place = f"{where}.anonymous_ids[{index}]"
        holder = plan.workspace.owner_of_anonymous(anonymous_id)
        if holder is not None and holder is not person:
            plan.problem(place, f"{anonymous_id!r} belongs to {holder.label} already")
        elif plan.anonymous.setdefault(anonymous_id, where) != where:
            plan.problem(
                place, f"{anonymous_id!r} is seeded for {plan.anonymous[anonymous_id]}"
            )


def _device(plan: _Plan, where: str, item: dict[str, Any]) -> None:
    person = _named_person(plan, where, item, required=True)
    token = _text(plan, where, item, "token", required=True)
    platform = item.get("platform")
    attributes = _mapping(plan, where, item, "attributes")
    plan.within(limits.check_attributes, attributes, f"{where}.attributes")
    if platform not in PLATFORMS:
        plan.problem(
            f"{where}.platform", f"{platform!r} is not one of {', '.join(PLATFORMS)}"
        )
    if token is not None and token in plan.tokens:
        plan.problem(f"{where}.token", "is seeded twice; give each device once")
    if person is None or token is None or platform not in PLATFORMS:
        return
    plan.tokens.append(token)
    context = {"device": {"token": token, "type": platform}}
    caller = _caller(plan, person, None, context=context)
    plan.calls.append((where, Track(caller, DEVICE_EVENT, attributes)))


def _event(plan: _Plan, where: str, item: dict[str, Any]) -> None:
    person = _named_person(plan, where, item, required=False)
    anonymous_id = _text(plan, where, item, "anonymous_id")
    name = _text(plan, where, item, "name", required=True)
    properties = _mapping(plan, where, item, "properties")
    when = _timestamp(plan, where, item.get("timestamp"))
    if anonymous_id is not None:
        plan.within(limits.check_id, anonymous_id, f"{where}.anonymous_id")
    if name is not None:
        fields = (f"{where}.name", f"{where}.properties")
        plan.within(limits.check_event, name, properties, *fields)
    if "person" not in item and anonymous_id is None:
        plan.problem(where, 'needs "person" or "anonymous_id" to say whose it is')
    semantic = set(plan.workspace.devices.semantic) | set(USER_EVENTS)
    if name in semantic:
        plan.problem(
            f"{where}.name",
            f"{name!r} is a semantic event, not one to seed; seed devices under "
            '"devices", and delete or suppress people through the Track API',
        )
        return
    if name is None or (person is None and anonymous_id is None):
        return
    caller = _caller(plan, person, anonymous_id, when=when)
    plan.calls.append((where, Track(caller, name, properties)))


def _named_person(
    plan: _Plan, where: str, item: dict[str, Any], *, required: bool
) -> str | None:
    person = _text(plan, where, item, "person", required=required)
    if person is not None and not plan.knows(person):
        plan.problem(
            f"{where}.person",
            f"{person!r} is no one in workspace {plan.workspace.name!r} nor in "
            "this seed's people; seed the person too, or name one by id, email "
            "or cio_ id",
        )
        return None
    return person


def _check(plan: _Plan, where: str, call: Call) -> None:
    try:
        plan.workspace.check(call)
    except WorkspaceError as error:
        plan.problem(where, str(error))


def _apply(plan: _Plan) -> Planted:
    workspace, planted = plan.workspace, Planted()
    before = len(workspace.events)
    for where, call in plan.calls:
        try:
            workspace.apply(call)
        except WorkspaceError as error:
            raise SeedProblems(
                [f"{where}: {error}; the items before it were applied"]
            ) from None
    found = [workspace.find(identifier) for identifier in plan.people]
    people = {p.cio_id: p for p in found if p is not None}
    planted.people = list(people.values())
    by_token = workspace.devices.by_token
    planted.devices = [by_token[t] for t in plan.tokens if t in by_token]
    planted.events = workspace.events[before:]
    return planted


def _caller(
    plan: _Plan,
    user_id: str | None,
    anonymous_id: str | None,
    *,
    when: datetime | None = None,
    context: dict[str, Any] | None = None,
) -> Caller:
    return Caller(user_id, anonymous_id, None, when or plan.now, context or {})


def _text(
    plan: _Plan, where: str, item: dict[str, Any], key: str, *, required: bool = False
) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        plan.problem(
            f"{where}.{key}", f"must be a non-empty string, not {_kind(value)}"
        )
        return None
    return value


def _mapping(plan: _Plan, where: str, item: dict[str, Any], key: str) -> dict[str, Any]:
    value = item.get(key, {})
    if not isinstance(value, dict):
        plan.problem(f"{where}.{key}", f"must be an object, not {_kind(value)}")
        return {}
    return value


def _timestamp(plan: _Plan, where: str, value: object) -> datetime | None:
    if value is None:
        return None
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value < TIMESTAMP_LIMIT
    ):
        return datetime.fromtimestamp(value, UTC)
    plan.problem(
        f"{where}.timestamp", f"must be Unix seconds, such as 1772442000, not {value!r}"
    )
    return None


def _key(identifier: str) -> str:
    return identifier.lower() if "@" in identifier else identifier


def _kind(value: object) -> str:
    names = {list: "a list", dict: "an object", str: "a string", bool: "a boolean"}
    if value is None:
        return "missing"
    if value == "":
        return "an empty string"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)
