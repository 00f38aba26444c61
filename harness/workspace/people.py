"""People on the Track API: the identify rules, deletion and forms.

Identify (v1 ``PUT /customers/{identifier}``, v2 ``identify``, form submissions)
keeps the rules Customer.io documents:

- The path identifier is typed by its shape (:meth:`Ref.from_path`).
- A person named by ``cio_<id>`` must exist; an unknown or deleted cio_id drops
  the call, which is kept on ``Workspace.rejections``.
- If nobody holds the path identifier but an id or email in the body belongs to
  someone, that person is updated and gets the path identifier, replacing the
  one of that kind they had (the documented "new id, same email updates one
  person repeatedly" case).
- If nobody holds any of them, a profile is created, unless ``_update`` is true:
  then nothing is created and a Failed Attribute Change is kept.
- An id or email in the body that belongs to someone else, or that would change
  an identifier already set, is an Attribute Update Failure: the call succeeds,
  that identifier is not set, and the failure is kept on
  ``Workspace.attribute_failures``. Only the ``cio_`` form changes identifiers.
- Attributes follow :mod:`.attributes`; an ``anonymous_id`` stitches that id's
  last 30 days of anonymous events to the person (:meth:`Workspace.stitch`).

Deleting a person removes their profile, events, devices and segment
memberships; their deliveries stay, so late provider answers and metrics still
find them. Form reserved keys (form_id, form_name, form_type, form_url,
form_url_param) are ignored, as documented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..journal import Entry, plural
from .attributes import ATTRIBUTE_LIMIT, apply_attributes
from .commands import Ref, SubmitForm, UpdatePerson
from .records import AttributeFailure, FormSubmission, Person

if TYPE_CHECKING:
    from .model import Workspace

FORM_RESERVED = frozenset(
    {"form_id", "form_name", "form_type", "form_url", "form_url_param"}
)


class Profiles:
    """Find the people commands name; apply identify, delete and form commands."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    # -- finding people --------------------------------------------------------

    def resolve(
        self, ref: Ref, what: str, source: str, *, create: bool
    ) -> Person | None:
        """Return the person ``ref`` names, creating them if ``create``.

        None means the call is dropped: the identifier is suppressed or the
        cio_id is unknown (both kept as rejections), or nobody has it and
        ``create`` is false (the caller decides what that means).
        """
        workspace = self.workspace
        if self.blocked([ref], what, source):
            return None
        person = workspace.lookup(ref)
        if person is not None or not create:
            return person
        if ref.kind == "cio_id":
            self.drop_unknown(ref, what, source)
            return None
        return workspace._create(ref, workspace.clock.now())

    def blocked(self, refs: list[Ref], what: str, source: str) -> bool:
        """Tell whether any of ``refs`` is suppressed, keeping the drop if so."""
        for ref in refs:
            if self.workspace.suppression(ref) is not None:
                self.workspace.reject(
                    f"{what} for {ref} ignored: {ref.kind} {ref.value} is "
                    "suppressed. Unsuppress it before sending data about them",
                    source=source,
                )
                return True
        return False

    def drop_unknown(self, ref: Ref, what: str, source: str) -> None:
        """Keep a call dropped because its cio_id names nobody."""
        gone = ref.value in self.workspace.deleted
        why = "belongs to a deleted person" if gone else "names no person"
        self.workspace.reject(
            f"{what} for {ref} dropped: the cio_id {why}. Reference an existing "
            "profile's cio_id, or its id or email",
            source=source,
        )

    # -- identify --------------------------------------------------------------

    def update(self, command: UpdatePerson, source: str) -> Person | None:
        """Identify a person; return them, or None if the call was dropped."""
        workspace = self.workspace
        pairs = (("id", command.id), ("email", command.email))
        body = [Ref.of(kind, value) for kind, value in pairs if value]
        if self.blocked([command.ref, *body], "identify", source):
            return None
        person = self._target(command, body, source)
        if person is None:
            return None
        for ref in body:
            self._assign(person, ref, may_change=command.ref.kind == "cio_id")
        changed = self._set_attributes(person, command)
        if command.created_at is not None:
            person.created_at = command.created_at
        if command.relationships:
            add = not command.unrelate
            workspace.objects.relate(person, command.relationships, add=add)
        self.note(
            person,
            "identify",
            f"identify {command.ref} ({source}): "
            f"{plural(len(changed), 'attribute')} changed",
        )
        if command.anonymous_id:
            workspace.stitch(person, command.anonymous_id, via="identify")
        return person

    def _target(
        self, command: UpdatePerson, body: list[Ref], source: str
    ) -> Person | None:
        workspace, ref = self.workspace, command.ref
        person = workspace.lookup(ref)
        if person is not None:
            return person
        if ref.kind == "cio_id":
            self.drop_unknown(ref, "identify", source)
            return None
        holders = [p for p in map(workspace.lookup, body) if p is not None]
        if holders:
            self._assign(holders[0], ref, may_change=True)
            return holders[0]
        if command.update_only:
            self.fail(
                None,
                f"{ref.kind} {ref.value}",
                "_update is true and nobody has this identifier, so no profile "
                "was created (a Failed Attribute Change); identify without "
                "_update to create one",
            )
            return None
        return workspace._create(ref, command.created_at or workspace.clock.now())

    def _assign(self, person: Person, ref: Ref, *, may_change: bool) -> None:
        workspace = self.workspace
        holder = workspace.lookup(ref)
        if holder is person:
            return
        current = person.id if ref.kind == "id" else person.email
        if holder is not None:
            self.fail(
                person,
                f"{ref.kind} {ref.value}",
                f"it belongs to {holder.label} (cio_{holder.cio_id}) and stays "
                f"with them; {person.label} was updated without it",
            )
            return
        if current is not None and not may_change:
            self.fail(
                person,
                f"{ref.kind} {ref.value}",
                f"{person.label} already has {ref.kind} {current}; reference "
                f"them as cio_{person.cio_id} to change it",
            )
            return
        workspace._unindex(person)
        if ref.kind == "id":
            person.id = ref.value
        else:
            person.email = ref.value
        workspace._index(person)
        was = f" (was {current})" if current else ""
        self.note(person, "identity", f"{ref.kind} set to {ref.value}{was}")

    def _set_attributes(self, person: Person, command: UpdatePerson) -> list[str]:
        when = command.timestamp or self.workspace.clock.now()
        applied = apply_attributes(person, command.attributes, when)
        if applied.stale:
            self.note(
                person,
                "attribute",
                f"kept {', '.join(applied.stale)}: updated more recently than "
                f"this call's timestamp {when:%Y-%m-%d %H:%M:%S}",
            )
        if applied.over:
            self.fail(
                person,
                f"attributes {', '.join(applied.over)}",
                f"the profile already holds {ATTRIBUTE_LIMIT} attributes, the "
                "limit; remove some before adding more",
            )
        return applied.changed

    # -- delete and suppress ---------------------------------------------------

    def delete(self, ref: Ref, source: str) -> None:
        """Delete the person ``ref`` names; nobody to delete is not an error."""
        person = self.workspace.lookup(ref)
        if person is None:
            self.journal(f"delete {ref} ({source}): no such person; nothing to do")
            return
        self.remove(person, f"deleted ({source})")

    def remove(self, person: Person, why: str) -> None:
        """Remove a profile with its events, devices and segment memberships."""
        workspace, cio_id = self.workspace, person.cio_id
        workspace._unindex(person)
        del workspace.people[cio_id]
        workspace.deleted[cio_id] = person
        for anonymous_id in person.anonymous_ids:
            if workspace._by_anonymous.get(anonymous_id) == cio_id:
                del workspace._by_anonymous[anonymous_id]
        events = [e for e in workspace.events if e.person == cio_id]
        workspace.events = [e for e in workspace.events if e.person != cio_id]
        devices = workspace.devices.of(person)
        for device in devices:
            del workspace.devices.by_token[device.token]
        workspace.segments.forget(person)
        for listener in workspace.listeners:
            hook = getattr(listener, "on_delete", None)
            if hook is not None:
                hook(person)
        self.note(
            person,
            "person",
            f"profile {person.label} (cio_{cio_id}) {why}: "
            f"{plural(len(events), 'event')} and "
            f"{plural(len(devices), 'device')} removed with it",
        )

    # -- forms -----------------------------------------------------------------

    def submit_form(self, command: SubmitForm, source: str) -> None:
        """Record a form response and identify its sender from its fields."""
        fields = {k: v for k, v in command.fields.items() if k not in FORM_RESERVED}
        attributes = {k: v for k, v in fields.items() if k not in ("id", "email")}
        person = self.update(UpdatePerson(command.ref, attributes), source)
        if person is None:
            return
        now = self.workspace.clock.now()
        submission = FormSubmission(now, command.form_id, person.cio_id, fields)
        self.workspace.forms.append(submission)
        self.note(person, "form", f"form {command.form_id} submitted ({source})")

    # -- records ---------------------------------------------------------------

    def fail(self, person: Person | None, identifier: str, reason: str) -> None:
        """Keep an Attribute Update Failure, on the workspace and in the journal."""
        workspace = self.workspace
        cio_id = person.cio_id if person else None
        failure = AttributeFailure(workspace.clock.now(), cio_id, identifier, reason)
        workspace.attribute_failures.append(failure)
        self.journal(
            f"Attribute Update Failure for {identifier}: {reason}",
            kind="attribute",
            person=cio_id,
        )

    def note(self, person: Person, kind: str, text: str) -> None:
        """Journal ``text`` about ``person``."""
        self.journal(text, kind=kind, person=person.cio_id)

    def journal(
        self, text: str, *, kind: str = "person", person: str | None = None
    ) -> None:
        """Journal ``text``, about the person with cio_id ``person`` if given."""
        now = self.workspace.clock.now()
        entry = Entry(now, "workspace", kind, text, person=person)
        self.workspace.journal.record(entry)
