"""Objects (companies, accounts, courses) and people's relationships to them.

Modelled only as far as identity needs: an object's attributes by key
(``type:id``, or ``cio_<id>`` for a cio_object_id), each person's relationships
(``Person.relationships``, moved by merges), and anonymous ids an object was
related to. Attributes set to null or "" are removed, as documented. An update
by cio_object_id needs an existing object; relating an object to somebody who
does not exist skips them and keeps the skip on ``Workspace.rejections``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..journal import Entry, plural
from .commands import ChangeObject, Relate, Relationship
from .records import Person

if TYPE_CHECKING:
    from .model import Workspace


class ObjectBook:
    """Keep objects' attributes and apply relationship changes."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.attributes: dict[str, dict[str, Any]] = {}
        self.anonymous: dict[str, set[str]] = {}

    def relate(
        self, person: Person, relationships: tuple[Relationship, ...], *, add: bool
    ) -> None:
        """Add or delete ``person``'s relationships."""
        for link in relationships:
            if add:
                person.relationships[link.key] = dict(link.attributes)
            else:
                person.relationships.pop(link.key, None)
        keys = ", ".join(link.key for link in relationships)
        verb = "related to" if add else "no longer related to"
        self._journal(f"{person.label} {verb} {keys}", person=person.cio_id)

    def change_relationships(self, command: Relate, source: str) -> None:
        """Apply a person's add or delete relationships operation."""
        what = "relationships"
        profiles = self.workspace.profiles
        person = profiles.resolve(command.ref, what, source, create=command.add)
        if person is None:
            return
        self.relate(person, command.relationships, add=command.add)

    def change(self, command: ChangeObject, source: str) -> None:
        """Identify, delete or relate an object."""
        target, action = command.target, command.action
        key = target.key
        if action == "delete":
            self.attributes.pop(key, None)
            self.anonymous.pop(key, None)
            for person in self.workspace.people.values():
                person.relationships.pop(key, None)
            self._journal(f"object {key} deleted ({source})")
            return
        if target.object_type is None and key not in self.attributes:
            self.workspace.reject(
                f"object {action} for {key} dropped: a cio_object_id only updates "
                "an existing object. Identify it by object_type_id and object_id",
                source=source,
            )
            return
        stored = self.attributes.setdefault(key, {})
        for name, value in command.attributes.items():
            if value is None or value == "":
                stored.pop(name, None)
            else:
                stored[name] = value
        self.anonymous.setdefault(key, set()).update(command.anonymous_ids)
        add = action != "delete_relationships"
        self._relate_people(
            command, Relationship(target.object_type, target.object_id), add, source
        )
        self._journal(
            f"object {key} {action} ({source}): "
            f"{plural(len(command.attributes), 'attribute')}"
        )

    def _relate_people(
        self, command: ChangeObject, link: Relationship, add: bool, source: str
    ) -> None:
        skipped = []
        for ref in command.people:
            person = self.workspace.lookup(ref)
            if person is None:
                skipped.append(str(ref))
                continue
            self.relate(person, (link,), add=add)
        if skipped:
            self.workspace.reject(
                f"object {link.key}: skipped relationships to {', '.join(skipped)},"
                " who do not exist. Identify them first",
                source=source,
            )

    def _journal(self, text: str, person: str | None = None) -> None:
        now = self.workspace.clock.now()
        entry = Entry(now, "workspace", "object", text, person=person)
        self.workspace.journal.record(entry)
