"""The emulated workspace: people, identity stitching and devices.

Rules it keeps (see shared/reference/customerio.md sections 3 and 4):

- A user id that looks like an email address identifies by email; anything else is
  an id. Emails match case-insensitively.
- An identify or alias carrying an anonymous id stitches that id to the person:
  anonymous events from the last 30 days move to the profile, and so do devices
  registered while anonymous.
- A token has one owner. Registering it for someone else moves it (the policy
  ``single_owner``; the real backend's behaviour here is unconfirmed).
- A token is pruned on a provider's "dead" answer only if it was not registered
  again after the moment the provider says it died.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..clock import Clock
from ..ids import Ids
from ..journal import Entry, Journal, plural
from .calls import Alias, Call, Caller, Group, Identify, Track
from .devices import DeviceBook
from .errors import InvalidCall
from .records import Delivery, Event, Person, Rejection

logger = logging.getLogger(__name__)

STITCH_WINDOW = timedelta(days=30)


class Listener(Protocol):
    """Receives what the workspace learns; campaigns listen this way."""

    def on_event(self, person: Person, event: Event) -> None:
        """Handle an event that now belongs to ``person``."""

    def on_stitch(self, person: Person, events: list[Event]) -> None:
        """Handle anonymous events that were just stitched to ``person``."""


class Workspace:
    """Hold one workspace's people, events, devices and deliveries."""

    def __init__(
        self,
        name: str,
        clock: Clock,
        ids: Ids,
        journal: Journal,
        *,
        single_owner: bool = True,
    ) -> None:
        self.name = name
        self.clock, self.ids, self.journal = clock, ids, journal
        self.people: dict[str, Person] = {}
        self.events: list[Event] = []
        self.deliveries: dict[str, Delivery] = {}
        self.devices = DeviceBook(self)
        self.single_owner = single_owner
        self.listeners: list[Listener] = []
        self._by_id: dict[str, str] = {}
        self._by_email: dict[str, str] = {}
        self._by_anonymous: dict[str, str] = {}
        self._anonymous_events: dict[str, list[Event]] = {}
        self._message_ids: set[str] = set()
        self.rejections: list[Rejection] = []

    # -- lookups ---------------------------------------------------------------

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

    def owner_of_anonymous(self, anonymous_id: str) -> Person | None:
        """Return the person an anonymous id was stitched to, if any."""
        cio_id = self._by_anonymous.get(anonymous_id)
        return self.people.get(cio_id) if cio_id else None

    def anonymous_events(self, anonymous_id: str) -> list[Event]:
        """Return events still held under an anonymous id, not stitched yet."""
        return list(self._anonymous_events.get(anonymous_id, ()))

    def events_of(self, person: Person) -> list[Event]:
        """Return the events on a person's profile, oldest first."""
        mine = [e for e in self.events if e.person == person.cio_id]
        return sorted(mine, key=lambda e: e.timestamp)

    # -- calls -----------------------------------------------------------------

    def apply(self, call: Call) -> None:
        """Apply one parsed call; a repeated messageId is ignored.

        The call is checked first, so a refused call changes nothing and does not
        use up its messageId: a corrected retry with the same id still lands.
        """
        self.check(call)
        message_id = call.caller.message_id
        if message_id is not None:
            if message_id in self._message_ids:
                self._note(
                    call.caller,
                    "duplicate",
                    f"messageId {message_id} seen "
                    "before; the call is ignored as a retry",
                )
                return
            self._message_ids.add(message_id)
        if isinstance(call, Identify):
            self._identify(call)
        elif isinstance(call, Track):
            self._track(call)
        elif isinstance(call, Alias):
            self._alias(call)
        elif isinstance(call, Group):
            self._note(call.caller, "group", f"joined group {call.group_id}")

    def check(self, call: Call) -> None:
        """Raise InvalidCall if ``call`` would be refused, changing nothing."""
        caller = call.caller
        if isinstance(call, Identify):
            email = call.traits.get("email")
            if not (caller.user_id or isinstance(email, str) or caller.anonymous_id):
                raise InvalidCall(
                    "identify needs a userId, or traits.email to find the person"
                )
        elif isinstance(call, Alias) and not caller.user_id:
            raise InvalidCall("alias needs a userId and a previousId")
        elif isinstance(call, Track):
            if call.kind == "track" and not call.name:
                raise InvalidCall("track needs an event name")
            if not (caller.user_id or caller.anonymous_id):
                raise InvalidCall(f"{call.kind} needs a userId or an anonymousId")
            self.devices.check(call)

    def _identify(self, call: Identify) -> None:
        caller = call.caller
        email = call.traits.get("email")
        identifier = caller.user_id or (email if isinstance(email, str) else None)
        if not identifier:
            if caller.anonymous_id:
                self._note(caller, "traits", "traits set while anonymous")
                return
            raise InvalidCall(
                "identify needs a userId, or traits.email to find the person"
            )
        person = self._person_for(identifier, caller.timestamp)
        self._set_traits(person, call.traits)
        self._record(caller, "identify", f"identify {identifier}", person=person)
        if caller.anonymous_id:
            self.stitch(person, caller.anonymous_id, via="identify")

    def _alias(self, call: Alias) -> None:
        if not call.caller.user_id:
            raise InvalidCall("alias needs a userId and a previousId")
        person = self._person_for(call.caller.user_id, call.caller.timestamp)
        self._record(call.caller, "alias", f"alias {call.previous_id}", person=person)
        self.stitch(person, call.previous_id, via="alias")

    def _track(self, call: Track) -> None:
        caller = call.caller
        person = self._person_of(caller)
        handler = self.devices.semantic.get(call.name)
        if handler is not None:
            handler(call, person)
            return
        event = Event(
            call.name,
            call.kind,
            caller.timestamp,
            self.clock.now(),
            dict(call.properties),
            person.cio_id if person else None,
            caller.anonymous_id,
            caller.message_id,
        )
        if person is None and caller.anonymous_id is None:
            raise InvalidCall("track needs a userId or an anonymousId")
        self.events.append(event)
        who = person.label if person else f"anonymous {caller.anonymous_id}"
        self._record(
            caller, "event", f"{call.kind} {call.name!r} as {who}", person=person
        )
        if person is not None:
            for listener in self.listeners:
                listener.on_event(person, event)
        else:
            assert caller.anonymous_id is not None
            self._anonymous_events.setdefault(caller.anonymous_id, []).append(event)

    # -- identity --------------------------------------------------------------

    def _person_for(self, identifier: str, when: datetime) -> Person:
        person = self.find(identifier)
        if person is not None:
            return person
        is_email = "@" in identifier
        person = Person(
            cio_id=self.ids.hex(10),
            id=None if is_email else identifier,
            email=identifier.lower() if is_email else None,
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

    def _person_of(self, caller: Caller) -> Person | None:
        if caller.user_id:
            return self._person_for(caller.user_id, caller.timestamp)
        if caller.anonymous_id:
            return self.owner_of_anonymous(caller.anonymous_id)
        return None

    def _set_traits(self, person: Person, traits: dict[str, Any]) -> None:
        email = traits.get("email")
        if isinstance(email, str) and email and person.email != email.lower():
            holder = self.find(email)
            if holder is not None and holder is not person:
                self._note_person(
                    person,
                    "attribute",
                    f"Attribute Update Failure: "
                    f"email {email} belongs to {holder.label}; kept "
                    f"on {holder.label}",
                )
            elif person.email is None:
                person.email = email.lower()
                self._index(person)
        person.attributes.update({k: v for k, v in traits.items() if k != "email"})

    def _index(self, person: Person) -> None:
        if person.id:
            self._by_id[person.id] = person.cio_id
        if person.email:
            self._by_email[person.email] = person.cio_id

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

    # -- deliveries ------------------------------------------------------------

    def new_delivery(
        self,
        person: Person,
        channel: str,
        campaign: str | None,
        subject: str,
        body: str,
        data: dict[str, Any] | None = None,
    ) -> Delivery:
        """Create a delivery record for a message about to go out."""
        delivery = Delivery(
            id=self.ids.b64url(21),
            person=person.cio_id,
            channel=channel,
            campaign=campaign,
            subject=subject,
            body=body,
            created_at=self.clock.now(),
            data=dict(data or {}),
        )
        self.deliveries[delivery.id] = delivery
        return delivery

    def deliveries_of(self, person: Person) -> list[Delivery]:
        """Return the deliveries sent to a person, oldest first."""
        return [d for d in self.deliveries.values() if d.person == person.cio_id]

    def reject(self, problem: str, *, source: str) -> None:
        """Keep a call the wire layer refused, so it shows in the timeline."""
        self.rejections.append(Rejection(self.clock.now(), source, problem))
        logger.warning("rejected call on %s: %s", source, problem)
        self.journal.record(
            Entry(
                self.clock.now(),
                "workspace",
                "rejected",
                f"{source} call rejected: {problem}",
            )
        )

    # -- journal ---------------------------------------------------------------

    def _record(
        self,
        caller: Caller,
        kind: str,
        text: str,
        *,
        person: Person | None,
        **subjects: Any,
    ) -> None:
        device = caller.context.get("device", {})
        token = device.get("token") if isinstance(device, dict) else None
        self.journal.record(
            Entry(
                self.clock.now(),
                "workspace",
                kind,
                text,
                person=person.cio_id if person else None,
                anonymous_id=caller.anonymous_id,
                token=subjects.get("token", token),
            )
        )

    def _note(self, caller: Caller, kind: str, text: str) -> None:
        self._record(caller, kind, text, person=self._person_of(caller))

    def _note_person(self, person: Person, kind: str, text: str) -> None:
        self.journal.record(
            Entry(self.clock.now(), "workspace", kind, text, person=person.cio_id)
        )


Handler = Callable[[Track, Person | None], None]
