"""Trigger API-triggered broadcasts: who gets one, how often, and the sends.

A trigger reaches the broadcast's own audience (the members of its manual
segment) unless it names its recipients: a list of ids, of emails, of people
with their own data, or a filter. Recipients named by the request replace the
audience, as Customer.io documents ("recipients set via the API will override
what is set in the UI"). Each recipient gets the push through the workspace's
outbox, the same path campaigns take, so deliveries, provider verdicts,
metrics and the journal read the same; a person with no device that has push
enabled gets the broadcast's email instead, when it has one.

Named policies, where the real service's behaviour is UNCONFIRMED:

- ``RATE_WINDOW`` (10 s): a broadcast takes one trigger per window, as
  documented. Only a request that makes a trigger (accepted, or refused for
  its recipients) starts the window; one refused before that does not.
- A trigger is processed at once: ``processed_at`` is ``created_at``.
- Recipients that name nobody fail the whole trigger (nothing is sent) unless
  ``id_ignore_missing`` / ``email_ignore_missing`` skip them; the trigger is
  kept with one ``line <n>: ...`` error per problem, where ``n`` counts from 1
  in the list that named them.
- A person named twice gets one message. The workspace keeps one profile per
  email, so ``email_add_duplicates`` never finds two people to add.
- ``SKIP_UNSUBSCRIBED``: a person whose ``unsubscribed`` attribute is true is
  skipped, as a broadcast is not transactional.
- A template that fails to render for one person skips that person and is kept
  as one of the trigger's errors; the others still get theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NoReturn, Protocol

from liquid.exceptions import LiquidError

from ..files import format_duration
from ..journal import Entry, plural
from ..workspace import (
    Delivery,
    Device,
    InvalidCall,
    Person,
    Ref,
    Workspace,
    WorkspaceError,
)
from .broadcast import Broadcast
from .engine import Rendered
from .spec import render

logger = logging.getLogger(__name__)

RATE_WINDOW = timedelta(seconds=10)
SKIP_UNSUBSCRIBED = True


# -- errors ----------------------------------------------------------------------


class UnknownBroadcast(WorkspaceError):
    """Raised when a trigger or lookup names a broadcast id no fixture declares."""


class UnknownTrigger(WorkspaceError):
    """Raised when a lookup names a trigger the broadcast never had."""


class RateLimited(WorkspaceError):
    """Raised when a broadcast is triggered again inside ``RATE_WINDOW``.

    ``wait`` is how long until the next trigger is taken.
    """

    def __init__(self, message: str, wait: timedelta) -> None:
        super().__init__(message)
        self.wait = wait


class TriggerFailed(InvalidCall):
    """Raised when a trigger's recipients name people the workspace lacks.

    The trigger is kept, with its errors, on ``trigger``; nothing was sent.
    """

    def __init__(self, message: str, trigger: Trigger) -> None:
        super().__init__(message)
        self.trigger = trigger


# -- calls and records -----------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One person a request names: ``kind`` is id or email; ``data`` is theirs."""

    kind: str
    value: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InSegment:
    """People in a manual segment."""

    segment: str


@dataclass(frozen=True)
class HasAttribute:
    """People whose attribute ``name`` exists, or equals ``value`` (``eq``)."""

    name: str
    operator: str
    value: object = None


@dataclass(frozen=True)
class AllOf:
    """People every filter takes."""

    filters: tuple[Filter, ...]


@dataclass(frozen=True)
class AnyOf:
    """People at least one filter takes."""

    filters: tuple[Filter, ...]


@dataclass(frozen=True)
class NoneOf:
    """People the filter does not take."""

    filter: Filter


Filter = InSegment | HasAttribute | AllOf | AnyOf | NoneOf


@dataclass(frozen=True)
class TriggerBroadcast:
    """One ``POST /v1/campaigns/{broadcast_id}/triggers``, parsed.

    ``recipients`` (from ``source``: ids, emails or per_user_data) or ``where``
    replace the broadcast's audience; with neither, the audience is used.
    """

    broadcast_id: int
    data: dict[str, Any] = field(default_factory=dict)
    recipients: tuple[Recipient, ...] | None = None
    source: str = ""
    where: Filter | None = None
    id_ignore_missing: bool = False
    email_ignore_missing: bool = False
    email_add_duplicates: bool = False


@dataclass
class Trigger:
    """One trigger of a broadcast: when, with what data, and what came of it."""

    id: int
    broadcast_id: int
    created_at: datetime
    data: dict[str, Any]
    processed_at: datetime | None = None
    recipients: list[str] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Outbox(Protocol):
    """Sends what a broadcast decides, as the workspace's messenger does."""

    def push(
        self, person: Person, devices: list[Device], message: Rendered, campaign: str
    ) -> Delivery:
        """Send one delivery's push to each of ``devices``."""

    def email(self, person: Person, message: Rendered, campaign: str) -> Delivery:
        """Send (record) an email."""


# -- the model -------------------------------------------------------------------


class Broadcaster:
    """Trigger one workspace's broadcasts and keep every trigger."""

    def __init__(
        self, workspace: Workspace, outbox: Outbox, broadcasts: Iterable[Broadcast]
    ) -> None:
        self.workspace, self.outbox = workspace, outbox
        self.broadcasts = {b.id: b for b in broadcasts}
        self.triggers: dict[int, Trigger] = {}
        self._last: dict[int, datetime] = {}

    def find(self, broadcast_id: int) -> Broadcast:
        """Return the broadcast with this id, or raise UnknownBroadcast."""
        found = self.broadcasts.get(broadcast_id)
        if found is None:
            known = ", ".join(f"{b.id} ({b.name})" for b in self.broadcasts.values())
            raise UnknownBroadcast(
                f"broadcast {broadcast_id} is not declared in workspace "
                f"{self.workspace.name}; declared: {known or 'none'}. Trigger one of "
                "these, or add the broadcast under fixtures/broadcasts/."
            )
        return found

    def trigger(self, call: TriggerBroadcast) -> Trigger:
        """Check ``call``, make its trigger and send to every recipient.

        Raises RateLimited inside the window, and TriggerFailed (the trigger
        kept) when recipients name nobody and were not to be ignored.
        """
        broadcast = self.find(call.broadcast_id)
        now = self.workspace.clock.now()
        self._check_rate(broadcast, now)
        trigger = Trigger(len(self.triggers) + 1, broadcast.id, now, dict(call.data))
        self.triggers[trigger.id] = trigger
        self._last[broadcast.id] = now
        audience = self._audience(broadcast, call, trigger)
        trigger.processed_at = now
        if trigger.errors:
            self._fail(broadcast, trigger)
        for person, data in audience:
            self._send(broadcast, trigger, person, {**call.data, **data})
        self._journal(
            f"broadcast {broadcast.name!r} trigger {trigger.id}: sent to "
            f"{len(trigger.recipients)} of {plural(len(audience), 'recipient')}"
        )
        return trigger

    def lookup(self, broadcast_id: int, trigger_id: int) -> Trigger:
        """Return one trigger of a broadcast, or raise UnknownTrigger."""
        self.find(broadcast_id)
        found = self.triggers.get(trigger_id)
        if found is None or found.broadcast_id != broadcast_id:
            raise UnknownTrigger(
                f"broadcast {broadcast_id} has no trigger {trigger_id}; use the id a "
                f"trigger answered with, or list GET /v1/broadcasts/{broadcast_id}"
                "/triggers"
            )
        return found

    def triggers_of(self, broadcast_id: int) -> list[Trigger]:
        """Return a broadcast's triggers, oldest first."""
        self.find(broadcast_id)
        return [t for t in self.triggers.values() if t.broadcast_id == broadcast_id]

    # -- checks ------------------------------------------------------------------

    def _check_rate(self, broadcast: Broadcast, now: datetime) -> None:
        last = self._last.get(broadcast.id)
        if last is None or now - last >= RATE_WINDOW:
            return
        wait, since = last + RATE_WINDOW - now, now - last
        raise RateLimited(
            f"broadcast {broadcast.id} was triggered {since.total_seconds():g}s ago "
            f"and takes one trigger every {format_duration(RATE_WINDOW)}; wait "
            f"{wait.total_seconds():g}s more, or send to one person with a "
            "transactional message instead",
            wait,
        )

    def _fail(self, broadcast: Broadcast, trigger: Trigger) -> NoReturn:
        first, more = trigger.errors[0], len(trigger.errors) - 1
        also = f" ({plural(more, 'more problem')})" if more else ""
        text = (
            f"trigger {trigger.id} of broadcast {broadcast.id} failed and sent "
            f"nothing: {first}{also}; GET /v1/campaigns/{broadcast.id}/triggers/"
            f"{trigger.id}/errors lists every problem"
        )
        self._journal(f"broadcast {broadcast.name!r} {text}")
        raise TriggerFailed(text, trigger)

    # -- audience ----------------------------------------------------------------

    def _audience(
        self, broadcast: Broadcast, call: TriggerBroadcast, trigger: Trigger
    ) -> list[tuple[Person, dict[str, Any]]]:
        if call.recipients is not None:
            return self._named(call, trigger)
        workspace = self.workspace
        if call.where is not None:
            people = sorted(workspace.people.values(), key=lambda p: p.created_at)
            return [(p, {}) for p in people if self._takes(call.where, p)]
        segment = broadcast.audience.segment
        members = workspace.segments.people_in(segment)
        if not members:
            self._journal(
                f"broadcast {broadcast.name!r} trigger {trigger.id}: manual segment "
                f"{segment} has nobody in it; add people with the Track API's "
                f"POST /api/v1/segments/{segment}/add_customers"
            )
        return [(p, {}) for p in members]

    def _named(
        self, call: TriggerBroadcast, trigger: Trigger
    ) -> list[tuple[Person, dict[str, Any]]]:
        found: dict[str, tuple[Person, dict[str, Any]]] = {}
        for line, recipient in enumerate(call.recipients or (), start=1):
            value = recipient.value
            person = self.workspace.lookup(Ref(recipient.kind, value))
            if person is not None:
                found.setdefault(person.cio_id, (person, recipient.data))
                continue
            ignored = (
                call.id_ignore_missing
                if recipient.kind == "id"
                else call.email_ignore_missing
            )
            if not ignored:
                trigger.errors.append(
                    f"line {line}: {call.source} names {recipient.kind} {value!r}, "
                    f"nobody in workspace {self.workspace.name}; a broadcast never "
                    f"creates people, so add them first or send "
                    f"{recipient.kind}_ignore_missing: true to skip them"
                )
        return list(found.values())

    def _takes(self, where: Filter, person: Person) -> bool:
        if isinstance(where, InSegment):
            members = self.workspace.segments.members.get(where.segment, set())
            return person.cio_id in members
        if isinstance(where, HasAttribute):
            values = {**person.attributes, "id": person.id, "email": person.email}
            value = values.get(where.name)
            if where.operator == "exists":
                return value is not None
            return value is not None and _text(value) == _text(where.value)
        if isinstance(where, AllOf):
            return all(self._takes(f, person) for f in where.filters)
        if isinstance(where, AnyOf):
            return any(self._takes(f, person) for f in where.filters)
        return not self._takes(where.filter, person)

    # -- sending -----------------------------------------------------------------

    def _send(
        self,
        broadcast: Broadcast,
        trigger: Trigger,
        person: Person,
        data: dict[str, Any],
    ) -> None:
        name = broadcast.name
        if SKIP_UNSUBSCRIBED and _unsubscribed(person):
            self._note(
                person, f"broadcast {name!r} skipped: {person.label} is unsubscribed"
            )
            return
        customer = {**person.attributes, "id": person.id, "email": person.email}
        context = {"trigger": data, "customer": {**customer, "cio_id": person.cio_id}}
        try:
            push, email = _rendered(broadcast, context)
        except LiquidError as error:
            problem = str(error).splitlines()[0]
            trigger.errors.append(
                f"{person.label}: the message failed to render ({problem}); fix "
                "its Liquid in the broadcast file"
            )
            self._note(person, f"broadcast {name!r} not sent: {trigger.errors[-1]}")
            return
        self._note(
            person, f"broadcast {name!r} trigger {trigger.id} for {person.label}"
        )
        devices = [d for d in self.workspace.devices.of(person) if d.push_enabled]
        if devices:
            delivery = self.outbox.push(person, devices, push, name)
        elif email is not None:
            note = (
                f"broadcast {name!r} falls back to email: no device with push enabled"
            )
            self._note(person, note)
            delivery = self.outbox.email(person, email, name)
        else:
            self._note(
                person,
                f"broadcast {name!r} sent nothing: no device with push enabled "
                "and no email fallback",
            )
            return
        mark = {"broadcast_id": broadcast.id, "trigger_id": trigger.id}
        delivery.data["broadcast"] = mark
        trigger.recipients.append(person.cio_id)
        trigger.deliveries.append(delivery.id)

    def _note(self, person: Person, text: str) -> None:
        now = self.workspace.clock.now()
        entry = Entry(now, "campaign", "broadcast", text, person=person.cio_id)
        self.workspace.journal.record(entry)

    def _journal(self, text: str) -> None:
        logger.debug("%s", text)
        now = self.workspace.clock.now()
        self.workspace.journal.record(Entry(now, "campaign", "broadcast", text))


def _rendered(
    broadcast: Broadcast, context: dict[str, Any]
) -> tuple[Rendered, Rendered | None]:
    message = broadcast.push
    push = Rendered(
        render(message.title, **context),
        render(message.body, **context),
        render(message.link, **context) if message.link else None,
        message.image_url,
    )
    fallback = broadcast.otherwise_email
    if fallback is None:
        return push, None
    email = Rendered(
        render(fallback.subject, **context), render(fallback.body, **context)
    )
    return push, email


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _unsubscribed(person: Person) -> bool:
    value = person.attributes.get("unsubscribed")
    return value is True or (isinstance(value, str) and value.lower() == "true")
