"""Errors the workspace model raises; the wire layers map them to statuses."""

from __future__ import annotations

from ..errors import HarnessError


class WorkspaceError(HarnessError):
    """Raised when a call to the workspace breaks one of its rules."""


class InvalidCall(WorkspaceError):
    """Raised when a call lacks what the real service requires (an id, a name).

    ``field`` names the part of the call at fault, when one part is, so a wire
    layer can point at it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownPerson(WorkspaceError):
    """Raised when a lookup names a person the workspace does not hold."""
