"""Errors the Track API wire layer raises while reading a request.

Exception tree::

    TrackError        a request, or one v2 operation in it, cannot be applied
    ├── Unreadable    the body is not JSON, not an object, too deep, or bad gzip
    ├── TooLarge      the body or a batch item is over its documented size
    └── Invalid       a field is missing, of the wrong type, or over a limit

Each carries the ``field`` at fault (empty for the whole body) and a stable
``reason`` code, which the v2 error bodies report. Only :mod:`.routes` turns
them into statuses.
"""

from __future__ import annotations


class TrackError(Exception):
    """Raised when a request cannot be applied; names the field and a reason."""

    reason = "invalid"

    def __init__(self, message: str, field: str = "", reason: str | None = None):
        super().__init__(message)
        self.field = field
        if reason is not None:
            self.reason = reason


class Unreadable(TrackError):
    """Raised when the body cannot be read as one JSON object."""

    reason = "malformed"


class TooLarge(TrackError):
    """Raised when a body or a v2 batch item is over its documented size."""

    reason = "too_large"


class Invalid(TrackError):
    """Raised when a field is missing, mistyped, or breaks a documented limit."""

    reason = "invalid"
