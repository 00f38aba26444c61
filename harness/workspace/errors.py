"""Errors the workspace model raises; the wire layers map them to statuses."""

from __future__ import annotations

from ..errors import HarnessError


class WorkspaceError(HarnessError):
    """Raised when a call to the workspace breaks one of its rules."""


class InvalidCall(WorkspaceError):
    """Raised when a call lacks what the real service requires (an id, a name)."""


class UnknownPerson(WorkspaceError):
    """Raised when a lookup names a person the workspace does not hold."""
