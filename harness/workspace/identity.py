"""Who is who: the identifier indexes, lookups and anonymous stitching.

:class:`Identities` is the part of :class:`~.model.Workspace` that maps ids,
emails, cio_ids and anonymous ids to profiles. It is a base class rather than a
separate object so ``workspace.find`` and ``workspace.stitch`` stay where callers
already look for them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from ..clock import Clock
from ..ids import Ids
from ..journal import Entry, Journal, plural
from .commands import Ref
from .records import Event, Person, Suppression

if TYPE_CHECKING:
    from .devices import DeviceBook

STITCH_WINDOW = timedelta(days=30)


class Listener(Protocol):
    """Receives what the workspace learns; campaigns listen this way.

    A listener may also define ``on_merge(primary, secondary)`` and
    ``on_delete(person)``; the workspace calls them when present.
    """

    def on_event(self, person: Person, event: Event) -> None:
        """Handle an event that now belongs to ``person``."""

    def on_stitch(self, person: Person, events: list[Event]) -> None:
        """Handle anonymous events that were just stitched to ``person``."""


class Identities:
    """Index people by id, email and anonymous id, and stitch anonymous activity."""

    clock: Clock
    ids: Ids
    journal: Journal
    devices: DeviceBook
    listeners: list[Listener]
    people: dict[str, Person]
    suppressed: dict[str, Suppression]
    _by_id: dict[str, str]
    _by_email: dict[str, str]
    _by_anonymous: dict[str, str]
    _anonymous_events: dict[str, list[Event]]

    def find(self, identifier: str) -> Person | None:
        """Return the person an id, email or ``cio_`` id names, if any.

        A ``cio_`` prefix names a cio_id; an id that merely starts with ``cio_``
        is still found by id.
        """
        if identifier.startswith("cio_") and identifier[4:] in self.people:
            return self.people[identifier[4:]]
        if "@" in identifier:
            cio_id = self._by_email.get(identifier.lower())
        else:
            cio_id = self._by_id.get(identifier)
        return self.people.get(cio_id) if cio_id else None

    def lookup(self, ref: Ref) -> Person | None:
        """Return the person a typed reference names, if they exist."""
        if ref.kind == "cio_id":
            return self.people.get(ref.value)
        index = {"id": self._by_id, "email": self._by_email}.get(ref.kind, {})
        cio_id = index.get(ref.value.lower() if ref.kind == "email" else ref.value)
        return self.people.get(cio_id) if cio_id else None

    def suppression(self, ref: Ref) -> Suppression | None:
        """Return the suppression blocking ``ref``, if it is suppressed."""
        return self.suppressed.get(f"{ref.kind}:{ref.value}")

    def owner_of_anonymous(self, anonymous_id: str) -> Person | None:
        """Return the person an anonymous id was stitched to, if any."""
        cio_id = self._by_anonymous.get(anonymous_id)
        return self.people.get(cio_id) if cio_id else None

    def anonymous_events(self, anonymous_id: str) -> list[Event]:
        """Return events still held under an anonymous id, not stitched yet."""
        return list(self._anonymous_events.get(anonymous_id, ()))

    def _create(self, ref: Ref, when: datetime) -> Person:
        person = Person(
            cio_id=self.ids.hex(10),
            id=ref.value if ref.kind == "id" else None,
            email=ref.value.lower() if ref.kind == "email" else None,
            created_at=when,
        )
        self.people[person.cio_id] = person
        self._index(person)
        self.journal.record(
            Entry(
                self.clock.now(),
                "workspace",
                "person",
                f"profile created for {person.label} (cio_{person.cio_id})",
                person=person.cio_id,
            )
        )
        return person

    def _index(self, person: Person) -> None:
        if person.id:
            self._by_id[person.id] = person.cio_id
        if person.email:
            self._by_email[person.email] = person.cio_id

    def _unindex(self, person: Person) -> None:
        if person.id and self._by_id.get(person.id) == person.cio_id:
            del self._by_id[person.id]
        if person.email and self._by_email.get(person.email) == person.cio_id:
            del self._by_email[person.email]

    def stitch(self, person: Person, anonymous_id: str, *, via: str) -> None:
        """Stitch an anonymous id to ``person``, moving its recent activity."""
        current = self._by_anonymous.get(anonymous_id)
        if current == person.cio_id:
            return
        if current is not None:
            self._note_person(
                person,
                "merge",
                f"anonymous id {anonymous_id} already "
                f"belongs to cio_{current}; not moved",
            )
            return
        self._by_anonymous[anonymous_id] = person.cio_id
        person.anonymous_ids.append(anonymous_id)
        cutoff = self.clock.now() - STITCH_WINDOW
        held = self._anonymous_events.pop(anonymous_id, [])
        moved = [e for e in held if e.timestamp >= cutoff]
        left = [e for e in held if e.timestamp < cutoff]
        if left:
            self._anonymous_events[anonymous_id] = left
        for event in moved:
            event.person = person.cio_id
        names = ", ".join(sorted({e.name or e.kind for e in moved}))
        text = (
            f"anonymous {anonymous_id} merged into {person.label} by {via}: "
            f"{plural(len(moved), 'event')}" + (f" ({names})" if names else "")
        )
        if left:
            text += (
                f"; {plural(len(left), 'older event')} left behind, past the "
                f"{STITCH_WINDOW.days}-day window"
            )
        self.journal.record(
            Entry(
                self.clock.now(),
                "workspace",
                "merge",
                text,
                person=person.cio_id,
                anonymous_id=anonymous_id,
            )
        )
        self.devices.adopt(anonymous_id, person)
        for listener in self.listeners:
            listener.on_stitch(person, moved)

    def _note_person(self, person: Person, kind: str, text: str) -> None:
        self.journal.record(
            Entry(self.clock.now(), "workspace", kind, text, person=person.cio_id)
        )
