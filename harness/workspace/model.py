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
- A suppressed identifier is never re-added: Pipelines calls naming it and
  Track API commands referencing it are dropped and kept on :attr:`rejections`.

The Track API's commands (:mod:`.commands`) run through :meth:`Workspace.perform`;
their rules live in :mod:`.people`, :mod:`.events`, :mod:`.merge`,
:mod:`.metrics`, :mod:`.segments` and :mod:`.objects`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..clock import Clock
from ..ids import Ids
from ..journal import Entry, Journal
from .calls import Alias, Call, Caller, Group, Identify, Track
from .commands import Command, DeletePerson, Ref, Suppress, Unsuppress
from .devices import DeviceBook
from .dispatch import perform
from .errors import InvalidCall
from .identity import Identities, Listener
from .merge import MERGE_DEVICES
from .objects import ObjectBook
from .people import Profiles
from .records import (
    AttributeFailure,
    Delivery,
    Event,
    FormSubmission,
    Person,
    Rejection,
    Suppression,
)
from .segments import Segments
from .suppression import blocks_call

logger = logging.getLogger(__name__)

UserCommand = DeletePerson | Suppress | Unsuppress
USER_EVENTS: dict[str, type[UserCommand]] = {
    "User Deleted": DeletePerson,
    "User Suppressed": Suppress,
    "User Unsuppressed": Unsuppress,
}


class Workspace(Identities):
    """Hold one workspace's people, events, devices and deliveries.

    Named policies, where Customer.io's behaviour is unconfirmed or needs set-up
    the emulator lacks: ``single_owner`` (a token registered for someone else
    moves to them), ``merge_devices`` (``"move"`` or ``"delete"`` the
    secondary's devices on a merge, see :mod:`.merge`) and ``create_segments``
    (create a manual segment on first use, see :mod:`.segments`).
    """

    def __init__(
        self,
        name: str,
        clock: Clock,
        ids: Ids,
        journal: Journal,
        *,
        single_owner: bool = True,
        merge_devices: str = "move",
        create_segments: bool = True,
    ) -> None:
        if merge_devices not in MERGE_DEVICES:
            raise ValueError(
                f"merge_devices={merge_devices!r} is not a merge policy; use one "
                f"of {', '.join(MERGE_DEVICES)}"
            )
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
        self.merge_devices, self.create_segments = merge_devices, create_segments
        self.environment_id = int(ids.child("environment").hex(3), 16)
        self.deleted: dict[str, Person] = {}
        self.suppressed: dict[str, Suppression] = {}
        self.attribute_failures: list[AttributeFailure] = []
        self.forms: list[FormSubmission] = []
        self.profiles = Profiles(self)
        self.segments = Segments(self)
        self.objects = ObjectBook(self)
        self._event_ids: set[str] = set()

    # -- lookups ---------------------------------------------------------------

    def events_of(self, person: Person) -> list[Event]:
        """Return the events on a person's profile, oldest first."""
        mine = [e for e in self.events if e.person == person.cio_id]
        return sorted(mine, key=lambda e: e.timestamp)

    # -- calls -----------------------------------------------------------------

    def perform(self, command: Command, *, source: str = "track API") -> None:
        """Carry out one Track API command.

        Raises InvalidCall for what the API refuses outright. What it accepts and
        then drops (a suppressed or unknown person, a merge without its primary)
        is kept on :attr:`rejections`, identifiers it cannot set on
        :attr:`attribute_failures`, and both in the journal.
        """
        perform(self, command, source)

    def apply(self, call: Call) -> None:
        """Apply one parsed call; a repeated messageId is ignored.

        The call is checked first, so a refused call changes nothing and does not
        use up its messageId: a corrected retry with the same id still lands.
        """
        self.check(call)
        if blocks_call(self, call):
            return
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
            if call.name in USER_EVENTS and not caller.user_id:
                raise InvalidCall(f"{call.name} needs a userId naming the person")
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

    def _user_event(self, call: Track, command: type[UserCommand]) -> None:
        """Apply User Deleted, User Suppressed or User Unsuppressed to the user."""
        user_id = call.caller.user_id
        if not user_id:
            raise InvalidCall(f"{call.name} needs a userId naming the person")
        ref = Ref("email", user_id.lower()) if "@" in user_id else Ref("id", user_id)
        self.perform(command(ref), source="pipelines")

    def _track(self, call: Track) -> None:
        caller = call.caller
        person = self._person_of(caller)
        handler = self.devices.semantic.get(call.name)
        if handler is not None:
            handler(call, person)
            return
        command = USER_EVENTS.get(call.name)
        if command is not None:
            self._user_event(call, command)
            return
        # Names and anonymous ids repeat across millions of stored events; each
        # came out of its own JSON body as a new string, so keep one copy.
        anonymous_id = caller.anonymous_id
        event = Event(
            sys.intern(call.name),
            sys.intern(call.kind),
            caller.timestamp,
            self.clock.now(),
            dict(call.properties),
            person.cio_id if person else None,
            sys.intern(anonymous_id) if anonymous_id else None,
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
        kind = "email" if "@" in identifier else "id"
        return self._create(Ref.of(kind, identifier), when)

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

    def reject(
        self, problem: str, *, source: str, person: Person | None = None
    ) -> None:
        """Keep a call that was refused or dropped, so it shows in the timeline."""
        self.rejections.append(Rejection(self.clock.now(), source, problem))
        logger.warning("rejected call on %s: %s", source, problem)
        self.journal.record(
            Entry(
                self.clock.now(),
                "workspace",
                "rejected",
                f"{source} call rejected: {problem}",
                person=person.cio_id if person else None,
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
        if isinstance(token, str):
            token = sys.intern(token)  # one copy per device, not per entry
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


Handler = Callable[[Track, Person | None], None]
