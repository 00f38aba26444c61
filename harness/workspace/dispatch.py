"""Send each Track API command to the rule that carries it out.

Phone numbers are not an identifier in the emulated workspace (Customer.io
offers them only when a workspace turns them on); a command naming a person by
phone is refused with :class:`InvalidCall`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import events, metrics, suppression
from .commands import (
    AddDevice,
    AnonymousEvent,
    ChangeObject,
    ChangeSegment,
    Command,
    DeleteDevice,
    DeletePerson,
    Merge,
    PersonEvent,
    Ref,
    Relate,
    ReportMetric,
    SubmitForm,
    Suppress,
    Unsubscribe,
    Unsuppress,
    UpdatePerson,
)
from .errors import InvalidCall
from .merge import merge

if TYPE_CHECKING:
    from .model import Workspace


def perform(workspace: Workspace, command: Command, source: str) -> None:
    """Carry out ``command`` on ``workspace``; ``source`` names where it came from."""
    for ref in _refs(command):
        if ref.kind == "phone":
            raise InvalidCall(
                f"phone {ref.value} is not an identifier in this workspace; name "
                "the person by id, email or cio_id",
                field="identifiers.phone",
            )
    match command:
        case UpdatePerson():
            workspace.profiles.update(command, source)
        case DeletePerson():
            workspace.profiles.delete(command.ref, source)
        case Suppress():
            suppression.suppress(workspace, command, source)
        case Unsuppress():
            suppression.unsuppress(workspace, command, source)
        case SubmitForm():
            workspace.profiles.submit_form(command, source)
        case PersonEvent():
            events.person_event(workspace, command, source)
        case AnonymousEvent():
            events.anonymous_event(workspace, command, source)
        case AddDevice():
            workspace.devices.add(command, source)
        case DeleteDevice():
            workspace.devices.remove(command, source)
        case Merge():
            merge(workspace, command, source)
        case ReportMetric():
            metrics.report(workspace, command, source)
        case Unsubscribe():
            metrics.unsubscribe(workspace, command, source)
        case ChangeSegment():
            workspace.segments.change(command, source)
        case Relate():
            workspace.objects.change_relationships(command, source)
        case ChangeObject():
            workspace.objects.change(command, source)


def _refs(command: Command) -> list[Ref]:
    if isinstance(command, Merge):
        return [command.primary, command.secondary]
    if isinstance(command, ChangeSegment):
        return list(command.refs)
    if isinstance(command, ChangeObject):
        return list(command.people)
    ref = getattr(command, "ref", None)
    return [ref] if isinstance(ref, Ref) else []
