"""Suppressing and unsuppressing people.

Suppressing deletes the person's profile (as a delete does) and blocks their id
and email, both if both are set, until they are unsuppressed. Suppressing an
identifier nobody holds blocks just that identifier. While blocked, every
Track API command and Pipelines call naming the identifier is dropped and kept
on ``Workspace.rejections``. Unsuppressing frees the identifiers; the deleted
profile is not restored, and the next identify creates a new one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .calls import Call, Identify, Track
from .commands import Ref, Suppress, Unsuppress
from .records import Suppression

if TYPE_CHECKING:
    from .model import Workspace


def suppress(workspace: Workspace, command: Suppress, source: str) -> None:
    """Delete the person ``command`` names and block their identifiers."""
    ref, profiles = command.ref, workspace.profiles
    person = workspace.lookup(ref)
    if person is None and ref.kind == "cio_id":
        profiles.drop_unknown(ref, "suppress", source)
        return
    now = workspace.clock.now()
    if person is not None:
        record = Suppression(now, person.cio_id, person.id, person.email)
    else:
        record = Suppression(
            now,
            None,
            ref.value if ref.kind == "id" else None,
            ref.value if ref.kind == "email" else None,
        )
    for key in record.keys:
        workspace.suppressed[key] = record
    if person is not None:
        profiles.remove(person, "suppressed")
    done = "profile deleted" if person else "nobody had it"
    profiles.journal(
        f"suppressed {ref} ({source}): {done}, identifiers blocked ({_listed(record)})",
        person=record.cio_id,
    )


def unsuppress(workspace: Workspace, command: Unsuppress, source: str) -> None:
    """Free a suppressed person's identifiers; the old profile stays gone."""
    record = workspace.suppression(command.ref)
    if record is None:
        workspace.profiles.journal(
            f"unsuppress {command.ref} ({source}): it was not suppressed; nothing to do"
        )
        return
    for key in record.keys:
        workspace.suppressed.pop(key, None)
    workspace.profiles.journal(
        f"unsuppressed {_listed(record)} ({source}): they may be identified "
        "again as a new profile; the deleted profile is not restored",
        person=record.cio_id,
    )


def _listed(record: Suppression) -> str:
    return ", ".join(key.replace(":", " ") for key in record.keys)


def blocks_call(workspace: Workspace, call: Call) -> bool:
    """Tell whether a Pipelines call names a suppressed identifier, keeping it if so.

    The user id is typed as :meth:`Workspace.find` types it; an identify's
    ``traits.email`` is checked too.
    """
    if isinstance(call, Track) and call.name == "User Unsuppressed":
        return False  # the one call that may name a suppressed user: it lifts it
    named = [call.caller.user_id]
    if isinstance(call, Identify):
        named.append(call.traits.get("email"))
    for identifier in named:
        if not isinstance(identifier, str) or not identifier:
            continue
        ref = Ref.from_path(identifier)
        if ref.kind == "cio_id" and ref.value not in workspace.people:
            ref = Ref("id", identifier)
        if workspace.suppression(ref) is not None:
            workspace.reject(
                f"{ref.kind} {identifier} is suppressed; the "
                f"{type(call).__name__} call is ignored. Unsuppress the person "
                "to use it again",
                source="pipelines",
            )
            return True
    return False
