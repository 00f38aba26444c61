"""Merging two people (v1 ``merge_customers``, v2 ``merge``).

The primary must already exist; if it does not, nothing happens, as documented,
and the call is kept on ``Workspace.rejections``. The secondary must exist too
and be someone else. Then the primary gains, as Customer.io documents:

- attributes it lacks or holds empty (null or ""), and the secondary's id or
  email when it has none of its own (they are attributes there too);
- the secondary's events stamped within the last 30 days; older ones are
  deleted with the secondary. Moved events never trigger campaigns;
- the secondary's anonymous ids, so later events under them land on the primary;
- manual segments, relationships and delivery history.

Whether devices move is not documented (UNCONFIRMED in
shared/reference/customerio.md, section 1). The policy
``Workspace.merge_devices`` decides: ``"move"`` (the default, as the one public
account describes it) puts the secondary's devices on the primary; ``"delete"``
deletes them with the secondary. Campaign journeys move only for listeners that
define ``on_merge(primary, secondary)``. The secondary is then deleted for good.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ..journal import Entry, plural
from .commands import Merge, Ref
from .records import Person

if TYPE_CHECKING:
    from .model import Workspace

MERGE_DEVICES = ("move", "delete")
EVENT_WINDOW = timedelta(days=30)


def merge(workspace: Workspace, command: Merge, source: str) -> None:
    """Merge the secondary into the primary, or keep why nothing happened."""
    primary = _side(workspace, command, command.primary, "primary", source)
    if primary is None:
        return
    secondary = _side(workspace, command, command.secondary, "secondary", source)
    if secondary is None:
        return
    if primary is secondary:
        workspace.reject(
            f"merge of {command.secondary} into {command.primary} ignored: both "
            "name the same person. Name two different people",
            source=source,
            person=primary,
        )
        return
    moved = _move(workspace, primary, secondary)
    for listener in workspace.listeners:
        hook = getattr(listener, "on_merge", None)
        if hook is not None:
            hook(primary, secondary)
    taken = [(k, getattr(secondary, k)) for k in ("id", "email")]
    taken = [(k, v) for k, v in taken if v and getattr(primary, k) is None]
    workspace.profiles.remove(secondary, f"merged into {primary.label}")
    for kind, value in taken:
        setattr(primary, kind, value)
    workspace._index(primary)
    workspace.journal.record(
        Entry(
            workspace.clock.now(),
            "workspace",
            "merge",
            f"merged cio_{secondary.cio_id} into cio_{primary.cio_id} "
            f"({primary.label}): moved {moved}",
            person=primary.cio_id,
        )
    )


def _side(
    workspace: Workspace, command: Merge, ref: Ref, side: str, source: str
) -> Person | None:
    person = workspace.lookup(ref)
    if person is None:
        gone = ref.kind == "cio_id" and ref.value in workspace.deleted
        workspace.reject(
            f"merge of {command.secondary} into {command.primary} ignored: the "
            f"{side} {ref} {'was deleted' if gone else 'does not exist'}. "
            f"Identify the {side} first; both must exist when the merge runs",
            source=source,
        )
    return person


def _move(workspace: Workspace, primary: Person, secondary: Person) -> str:
    cutoff = workspace.clock.now() - EVENT_WINDOW
    events = [
        e
        for e in workspace.events
        if e.person == secondary.cio_id and e.timestamp >= cutoff
    ]
    for event in events:
        event.person = primary.cio_id
    deliveries = workspace.deliveries_of(secondary)
    for delivery in deliveries:
        delivery.person = primary.cio_id
    devices = workspace.devices.of(secondary)
    if workspace.merge_devices == "move":
        for device in devices:
            device.owner = primary.cio_id
    filled = _fill(primary, secondary)
    for anonymous_id in secondary.anonymous_ids:
        workspace._by_anonymous[anonymous_id] = primary.cio_id
        primary.anonymous_ids.append(anonymous_id)
    anonymous = len(secondary.anonymous_ids)
    secondary.anonymous_ids = []
    workspace.segments.merge(primary, secondary)
    primary.relationships = {**secondary.relationships, **primary.relationships}
    device_text = (
        plural(len(devices), "device")
        if workspace.merge_devices == "move"
        else f"no devices ({len(devices)} deleted, merge_devices='delete')"
    )
    return (
        f"{plural(len(events), 'event')}, {device_text}, "
        f"{plural(len(deliveries), 'delivery')}, "
        f"{plural(len(filled), 'attribute')}, "
        f"{plural(anonymous, 'anonymous id')}"
    )


def _fill(primary: Person, secondary: Person) -> list[str]:
    filled = []
    for name, value in secondary.attributes.items():
        if primary.attributes.get(name) in (None, ""):
            primary.attributes[name] = value
            filled.append(name)
    return filled
