"""Errors of the emulated APNs.

Exception tree::

    ApnsError
    ├── Rejected       APNs refuses a notification; carries Apple's reason
    ├── UnknownToken   a control call names a token APNs never issued
    └── BadSetup       a control call passes a value APNs would never hold

Only the wire layer turns a :class:`Rejected` into an HTTP status.
"""

from __future__ import annotations

from datetime import datetime

from harness.errors import HarnessError


class ApnsError(HarnessError):
    """Raised for every problem of the emulated APNs."""


class Rejected(ApnsError):
    """Raised when APNs refuses a notification request.

    ``reason`` is Apple's reason name (``BadDeviceToken``, ``Unregistered``, ...);
    ``dead_since`` is set only for the 410 reasons (``Unregistered``,
    ``ExpiredToken``): the moment the token stopped being valid.
    """

    def __init__(
        self, reason: str, detail: str, dead_since: datetime | None = None
    ) -> None:
        self.reason = reason
        self.detail = detail
        self.dead_since = dead_since
        super().__init__(f"{reason}: {detail}")


class UnknownToken(ApnsError, KeyError):
    """Raised when a control call names a device token APNs never issued."""

    def __init__(self, token: str) -> None:
        self.token = token
        super().__init__(
            f"APNs never issued device token {token!r}; use a token returned by "
            "ApnsService.issue_token()."
        )

    def __str__(self) -> str:
        return str(self.args[0])


class BadSetup(ApnsError, ValueError):
    """Raised when a control call passes a value APNs would never hold.

    For example an environment other than sandbox or production, or a signing
    key that is not an ES256 (P-256) public key.
    """
