"""Events from the Track API: on a person, anonymous, or invites.

- An event naming a person who does not exist creates them, as identify would;
  a ``cio_`` reference must name an existing person, and an event about a
  suppressed identifier is dropped (both kept as rejections).
- An event ``id`` (a ULID) is remembered; an event repeating one is ignored as a
  duplicate and journaled.
- An anonymous event waits under its anonymous id until an identify carries that
  id (:meth:`Workspace.stitch`, 30 days back). One sent after the id was
  stitched goes straight to the person.
- Without an anonymous id, ``data.recipient`` makes an invite event: kept, never
  attached to a profile. Without either, the event is kept and can never reach
  anyone; the journal says so.
- Only events stamped within 72 hours of arrival reach the listeners (campaign
  triggers), as Customer.io documents; older ones are stored and journaled.

The Track API's ``event`` type is stored as ``track``, the kind Pipelines events
have, so the workspace keeps one vocabulary: track, page and screen.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ..journal import Entry
from .commands import AnonymousEvent, PersonEvent
from .records import Event, Person

if TYPE_CHECKING:
    from .model import Workspace

TRIGGER_WINDOW = timedelta(hours=72)
KINDS = {"event": "track"}


def person_event(workspace: Workspace, command: PersonEvent, source: str) -> None:
    """Record an event on the person the command names."""
    what = f"event {command.name!r}"
    person = workspace.profiles.resolve(command.ref, what, source, create=True)
    if person is None or _duplicate(workspace, command, source):
        return
    event = _event(workspace, command, person.cio_id, None)
    workspace.events.append(event)
    _journal(
        workspace,
        f"{command.kind} {command.name!r} on {person.label} ({source})",
        person=person.cio_id,
    )
    _trigger(workspace, person, event)


def anonymous_event(workspace: Workspace, command: AnonymousEvent, source: str) -> None:
    """Record an anonymous or invite event."""
    if _duplicate(workspace, command, source):
        return
    anonymous_id = command.anonymous_id
    if anonymous_id is None:
        _unattached(workspace, command, source)
        return
    owner = workspace.owner_of_anonymous(anonymous_id)
    event = _event(workspace, command, owner.cio_id if owner else None, anonymous_id)
    workspace.events.append(event)
    if owner is None:
        workspace._anonymous_events.setdefault(anonymous_id, []).append(event)
        _journal(
            workspace,
            f"{command.kind} {command.name!r} as anonymous {anonymous_id} ({source})",
            anonymous_id=anonymous_id,
        )
        return
    _journal(
        workspace,
        f"{command.kind} {command.name!r} as anonymous {anonymous_id}, stitched "
        f"to {owner.label} ({source})",
        person=owner.cio_id,
        anonymous_id=anonymous_id,
    )
    _trigger(workspace, owner, event)


def _unattached(workspace: Workspace, command: AnonymousEvent, source: str) -> None:
    event = _event(workspace, command, None, None)
    workspace.events.append(event)
    recipient = command.data.get("recipient")
    if isinstance(recipient, str) and recipient:
        text = f"invite event {command.name!r} for {recipient} ({source})"
    else:
        text = (
            f"event {command.name!r} has no anonymous_id and no data.recipient "
            f"({source}); it is kept but can never join a profile"
        )
    _journal(workspace, text)


def _duplicate(
    workspace: Workspace, command: PersonEvent | AnonymousEvent, source: str
) -> bool:
    if command.event_id is None:
        return False
    if command.event_id in workspace._event_ids:
        _journal(
            workspace,
            f"event id {command.event_id} seen before ({source}); the "
            f"{command.name!r} event is ignored as a duplicate",
            kind="duplicate",
        )
        return True
    workspace._event_ids.add(command.event_id)
    return False


def _event(
    workspace: Workspace,
    command: PersonEvent | AnonymousEvent,
    person: str | None,
    anonymous_id: str | None,
) -> Event:
    now = workspace.clock.now()
    return Event(
        command.name,
        KINDS.get(command.kind, command.kind),
        command.timestamp or now,
        now,
        dict(command.data),
        person,
        anonymous_id,
        command.event_id,
    )


def _trigger(workspace: Workspace, person: Person, event: Event) -> None:
    age = workspace.clock.now() - event.timestamp
    if age > TRIGGER_WINDOW:
        _journal(
            workspace,
            f"{event.name!r} is stamped {age.days} days ago, past the "
            f"{TRIGGER_WINDOW.total_seconds() / 3600:.0f}-hour window, so it "
            "triggers no campaign",
            person=person.cio_id,
        )
        return
    for listener in workspace.listeners:
        listener.on_event(person, event)


def _journal(
    workspace: Workspace,
    text: str,
    *,
    kind: str = "event",
    person: str | None = None,
    anonymous_id: str | None = None,
) -> None:
    entry = Entry(
        workspace.clock.now(),
        "workspace",
        kind,
        text,
        person=person,
        anonymous_id=anonymous_id,
    )
    workspace.journal.record(entry)
