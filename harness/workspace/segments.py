"""Manual segments: people added and removed by id through the Track API.

Customer.io requires a manual segment to exist before people are added to it.
The emulator has no API to create one yet, so the policy
``Workspace.create_segments`` (default true) creates a segment on first use
and journals that it did; with it false, an unknown segment is refused.
People who do not exist, or whose identifier is suppressed, are skipped and
kept on ``Workspace.rejections``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..journal import Entry
from .commands import ChangeSegment
from .errors import InvalidCall
from .records import Person

if TYPE_CHECKING:
    from .model import Workspace


class Segments:
    """Keep each manual segment's members by cio_id."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.members: dict[str, set[str]] = {}

    def create(self, segment_id: str) -> None:
        """Create an empty manual segment, if it does not exist yet."""
        self.members.setdefault(segment_id, set())

    def of(self, person: Person) -> list[str]:
        """Return the ids of the manual segments ``person`` belongs to."""
        return sorted(
            s for s, members in self.members.items() if person.cio_id in members
        )

    def people_in(self, segment_id: str) -> list[Person]:
        """Return the people in a manual segment."""
        people = self.workspace.people
        cio_ids = sorted(self.members.get(segment_id, ()))
        return [people[c] for c in cio_ids if c in people]

    def change(self, command: ChangeSegment, source: str) -> None:
        """Add or remove the people a command names."""
        segment_id, workspace = command.segment_id, self.workspace
        if segment_id not in self.members:
            if not workspace.create_segments:
                raise InvalidCall(
                    f"manual segment {segment_id} does not exist; create it first "
                    "(Workspace.segments.create) or allow create_segments",
                    field="segment_id",
                )
            self.create(segment_id)
            self._journal(
                f"manual segment {segment_id} created on first use "
                "(policy create_segments)"
            )
        members = self.members[segment_id]
        verb = "added to" if command.add else "removed from"
        skipped = list(command.ignored)
        for ref in command.refs:
            person = workspace.lookup(ref)
            if person is None or workspace.suppression(ref) is not None:
                skipped.append(str(ref))
                continue
            if command.add:
                members.add(person.cio_id)
            else:
                members.discard(person.cio_id)
            self._journal(
                f"{person.label} {verb} manual segment {segment_id}",
                person=person.cio_id,
            )
        if skipped:
            workspace.reject(
                f"{verb} manual segment {segment_id}: skipped {', '.join(skipped)}"
                ", which name nobody or do not match the id_type",
                source=source,
            )

    def forget(self, person: Person) -> None:
        """Take a deleted person out of every segment."""
        for members in self.members.values():
            members.discard(person.cio_id)

    def merge(self, primary: Person, secondary: Person) -> None:
        """Put the primary in every segment the secondary was in."""
        for members in self.members.values():
            if secondary.cio_id in members:
                members.add(primary.cio_id)

    def _journal(self, text: str, person: str | None = None) -> None:
        now = self.workspace.clock.now()
        entry = Entry(now, "workspace", "segment", text, person=person)
        self.workspace.journal.record(entry)
