"""Errors of the emulated FCM HTTP v1 API.

Exception tree::

    FcmError
    ├── Rejected       FCM refuses a send; carries the error code
    │   └── BadJson    Google's front end cannot map the body onto a request
    ├── BadCondition   a topic condition FCM cannot evaluate
    ├── UnknownToken   a control call names a token FCM never issued
    └── BadSetup       a control call names an unknown project or bad value

Only the wire layer turns a :class:`Rejected` into an HTTP status and Google's
error body.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from harness.errors import HarnessError

Violation = tuple[str, str]
"""A ``google.rpc.BadRequest`` field violation: the field's path and why."""


class FcmError(HarnessError):
    """Raised for every problem of the emulated FCM."""


class Rejected(FcmError):
    """Raised when FCM refuses a send request.

    ``code`` is an FCM ``errorCode`` (``INVALID_ARGUMENT``, ``UNREGISTERED``,
    ``SENDER_ID_MISMATCH``, ...) or, for failures in front of FCM proper, a
    Google status (``UNAUTHENTICATED``, ``PERMISSION_DENIED``, ``NOT_FOUND``).
    ``message`` is the text FCM puts on the wire; ``explanation`` is what the
    journal says, in the harness's words, and defaults to ``message``.
    ``violations`` become a ``google.rpc.BadRequest`` detail and ``quota`` (a
    subject and a description) a ``google.rpc.QuotaFailure``.
    ``unregistered_at`` is set for ``UNREGISTERED`` tokens the emulator issued.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        explanation: str | None = None,
        violations: Sequence[Violation] = (),
        quota: tuple[str, str] | None = None,
        unregistered_at: datetime | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.explanation = explanation or message
        self.violations = tuple(violations)
        self.quota = quota
        self.unregistered_at = unregistered_at
        super().__init__(f"{code}: {self.explanation}")


class BadJson(Rejected):
    """Raised when the body is not JSON Google's front end maps onto a send.

    Unknown field names, values of the wrong type and a second target are
    refused before FCM sees the message, so the answer carries only the
    ``google.rpc.BadRequest`` detail, never an FCM error code.
    """

    def __init__(self, violations: Sequence[Violation]) -> None:
        message = "\n".join(description for _, description in violations)
        super().__init__("INVALID_ARGUMENT", message, violations=violations)


class BadCondition(FcmError, ValueError):
    """Raised when a topic condition is not one FCM can evaluate; says why."""


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
