"""Errors of the emulated FCM HTTP v1 API.

Exception tree::

    FcmError
    ├── Rejected       FCM refuses a send; carries the error code
    ├── UnknownToken   a control call names a token FCM never issued
    └── BadSetup       a control call names an unknown project or bad value

Only the wire layer turns a :class:`Rejected` into an HTTP status and Google's
error body.
"""

from __future__ import annotations

from datetime import datetime

from harness.errors import HarnessError


class FcmError(HarnessError):
    """Raised for every problem of the emulated FCM."""


class Rejected(FcmError):
    """Raised when FCM refuses a send request.

    ``code`` is an FCM ``errorCode`` (``INVALID_ARGUMENT``, ``UNREGISTERED``,
    ``SENDER_ID_MISMATCH``, ...) or, for failures in front of FCM proper, a
    Google status (``UNAUTHENTICATED``, ``PERMISSION_DENIED``, ``NOT_FOUND``).
    ``unregistered_at`` is set for ``UNREGISTERED`` tokens the emulator issued;
    ``field`` names the offending request field of an ``INVALID_ARGUMENT``.
    """

    def __init__(
        self,
        code: str,
        message: str,
        unregistered_at: datetime | None = None,
        field: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.unregistered_at = unregistered_at
        self.field = field
        super().__init__(f"{code}: {message}")


class UnknownToken(FcmError, KeyError):
    """Raised when a control call names a registration token FCM never issued."""

    def __init__(self, token: str) -> None:
        self.token = token
        super().__init__(
            f"FCM never issued registration token {token[:24]!r}...; use a token "
            "returned by FcmService.issue_token()."
        )

    def __str__(self) -> str:
        return str(self.args[0])


class BadSetup(FcmError, ValueError):
    """Raised when a control call names an unregistered project or a bad value."""
