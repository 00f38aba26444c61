"""Typed commands on people, devices, deliveries and segments.

These are the Track API's operations in model terms: the wire layer parses v1
paths and v2 entity operations into them, and :meth:`Workspace.perform` carries
them out. A person is named by a :class:`Ref`, never by a bare string, so the
rules about which identifier is which live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

REF_KINDS = ("id", "email", "cio_id", "phone")


@dataclass(frozen=True)
class Ref:
    """One identifier of a person: its kind (id, email, cio_id, phone) and value."""

    kind: str
    value: str

    @classmethod
    def from_path(cls, identifier: str) -> Ref:
        """Type a v1 path identifier by its shape, as the Track API does.

        ``cio_<x>`` names a cio_id, anything with an ``@`` an email (matched
        without regard to case), and everything else, phone numbers included,
        an id.
        """
        if identifier.startswith("cio_"):
            return cls("cio_id", identifier[4:])
        if "@" in identifier:
            return cls("email", identifier.lower())
        return cls("id", identifier)

    @classmethod
    def of(cls, kind: str, value: str) -> Ref:
        """Return a reference of ``kind``, with an email lowercased."""
        return cls(kind, value.lower() if kind == "email" else value)

    def __str__(self) -> str:
        return f"cio_{self.value}" if self.kind == "cio_id" else self.value


@dataclass(frozen=True)
class Relationship:
    """A link from a person to an object, with the link's own attributes.

    ``object_type`` is None when ``object_id`` is a cio_object_id.
    """

    object_type: str | None
    object_id: str
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Return the object's key as the workspace stores it."""
        if self.object_type is None:
            return f"cio_{self.object_id}"
        return f"{self.object_type}:{self.object_id}"


@dataclass(frozen=True)
class UpdatePerson:
    """Add or update a person (v1 identify, v2 ``identify``, form submissions).

    ``id`` and ``email`` are identifiers carried in the body; ``update_only`` is
    ``_update`` (never create); ``timestamp`` is ``_timestamp``, which orders
    attribute updates that arrive out of order.
    """

    ref: Ref
    attributes: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    email: str | None = None
    anonymous_id: str | None = None
    created_at: datetime | None = None
    timestamp: datetime | None = None
    update_only: bool = False
    relationships: tuple[Relationship, ...] = ()
    unrelate: bool = False


@dataclass(frozen=True)
class DeletePerson:
    """Delete a person and everything on their profile."""

    ref: Ref


@dataclass(frozen=True)
class Suppress:
    """Delete a person and block their identifiers from coming back."""

    ref: Ref


@dataclass(frozen=True)
class Unsuppress:
    """Make a suppressed person's identifiers usable again."""

    ref: Ref


@dataclass(frozen=True)
class PersonEvent:
    """Record an event (``kind`` is event, page or screen) on a person."""

    ref: Ref
    name: str
    kind: str = "event"
    event_id: str | None = None
    timestamp: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnonymousEvent:
    """Record an event for someone not identified yet.

    Without an anonymous id, ``data["recipient"]`` makes it an invite event.
    """

    anonymous_id: str | None
    name: str
    kind: str = "event"
    event_id: str | None = None
    timestamp: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AddDevice:
    """Add or update a push device on a person; ``platform`` is ios or android."""

    ref: Ref
    token: str
    platform: str
    last_used: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeleteDevice:
    """Remove a device from a person's profile."""

    ref: Ref
    token: str


@dataclass(frozen=True)
class Merge:
    """Merge ``secondary`` into ``primary``; the secondary is deleted."""

    primary: Ref
    secondary: Ref


@dataclass(frozen=True)
class ReportMetric:
    """Record a delivery metric (opened, delivered, clicked, ...)."""

    delivery_id: str
    metric: str
    timestamp: datetime | None = None
    recipient: str | None = None
    href: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Unsubscribe:
    """Unsubscribe the person a delivery went to, crediting that delivery.

    Only ``unsubscribe`` true changes anything, as the API documents.
    """

    delivery_id: str
    unsubscribe: bool = True


@dataclass(frozen=True)
class ChangeSegment:
    """Add people to, or remove them from, a manual segment.

    ``ignored`` are values the request carried that did not match its id type.
    """

    segment_id: str
    refs: tuple[Ref, ...]
    add: bool = True
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubmitForm:
    """Record a form submission and identify the person who sent it."""

    form_id: str
    ref: Ref
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Relate:
    """Add or delete a person's relationships to objects."""

    ref: Ref
    relationships: tuple[Relationship, ...]
    add: bool = True


@dataclass(frozen=True)
class ChangeObject:
    """Identify, delete or relate a non-person object (v2 ``type: object``).

    ``action`` is identify, identify_anonymous, delete, add_relationships or
    delete_relationships; ``people`` and ``anonymous_ids`` are who it relates to.
    """

    target: Relationship
    action: str
    attributes: dict[str, Any] = field(default_factory=dict)
    people: tuple[Ref, ...] = ()
    anonymous_ids: tuple[str, ...] = ()


Command = (
    UpdatePerson
    | DeletePerson
    | Suppress
    | Unsuppress
    | PersonEvent
    | AnonymousEvent
    | AddDevice
    | DeleteDevice
    | Merge
    | ReportMetric
    | Unsubscribe
    | ChangeSegment
    | SubmitForm
    | Relate
    | ChangeObject
)
