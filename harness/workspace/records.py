"""What a workspace stores: people, devices, events and deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class Person:
    """A profile: Customer.io's cio_id plus the id and email it is known by."""

    cio_id: str
    id: str | None
    email: str | None
    created_at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)
    anonymous_ids: list[str] = field(default_factory=list)
    relationships: dict[str, dict[str, Any]] = field(default_factory=dict)
    attribute_times: dict[str, datetime] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Return the identifier a person reads first: id, then email, then cio_id."""
        return self.id or self.email or f"cio_{self.cio_id}"


@dataclass(slots=True)
class Device:
    """A push target on a profile, keyed by its token."""

    token: str
    platform: str
    owner: str | None
    anonymous_id: str | None
    registered_at: datetime
    last_used: datetime
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def push_enabled(self) -> bool:
        """Tell whether the SDK last reported notifications as enabled.

        iOS sends the string "true", Android a boolean; both count.
        """
        value = self.attributes.get("push_enabled")
        return value is True or (isinstance(value, str) and value.lower() == "true")


@dataclass(slots=True)
class Event:
    """An event as stored: who it belongs to now and who sent it."""

    name: str
    kind: str
    timestamp: datetime
    received_at: datetime
    properties: dict[str, Any]
    person: str | None
    anonymous_id: str | None
    message_id: str | None


@dataclass(slots=True)
class Verdict:
    """A provider's answer to one send, as the workspace recorded it."""

    token: str
    service: str
    accepted: bool
    status: int
    reason: str | None


@dataclass(slots=True)
class Delivery:
    """One message sent to a person, with what each provider answered."""

    id: str
    person: str
    channel: str
    campaign: str | None
    subject: str
    body: str
    created_at: datetime
    tokens: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    metrics: dict[str, list[datetime]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A call the workspace refused, with the reason the wire layer gave."""

    at: datetime
    source: str
    problem: str


@dataclass(frozen=True, slots=True)
class AttributeFailure:
    """An identifier a call could not set, kept as Customer.io's activity log does.

    ``person`` is the cio_id of the profile the call updated, if any.
    """

    at: datetime
    person: str | None
    identifier: str
    reason: str


@dataclass(frozen=True, slots=True)
class Suppression:
    """A suppressed person's identifiers, blocked until unsuppressed."""

    at: datetime
    cio_id: str | None
    id: str | None
    email: str | None

    @property
    def keys(self) -> list[str]:
        """Return the ``kind:value`` keys this suppression blocks."""
        pairs = [("cio_id", self.cio_id), ("id", self.id), ("email", self.email)]
        return [f"{kind}:{value}" for kind, value in pairs if value]


@dataclass(frozen=True, slots=True)
class FormSubmission:
    """One form response, with the person it identified."""

    at: datetime
    form_id: str
    person: str
    fields: dict[str, str]
