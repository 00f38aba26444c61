"""Errors of the emulated web push services (RFC 8030, 8291, 8292).

Exception tree::

    WebPushError
    ├── Rejected              the push service refuses a message; carries a reason
    ├── UnknownSubscription   a control call names an endpoint never handed out
    └── BadSetup              subscribe() gets an origin or keys a browser refuses

Only the wire layer turns a :class:`Rejected` into an HTTP status.
"""

from __future__ import annotations

from datetime import datetime

from harness.errors import HarnessError


class WebPushError(HarnessError):
    """Raised for every problem of the emulated web push services."""


class Rejected(WebPushError):
    """Raised when a push service refuses a push message.

    ``reason`` names the rule, the same for every vendor: ``BadTtl``,
    ``BadUrgency``, ``BadTopic``, ``BadContentEncoding``,
    ``BadEncryptionHeaders``, ``PayloadTooLarge``, ``MissingAuthorization``,
    ``BadJwtToken``, ``NotFound``, ``Unsubscribed``, ``TooManyRequests``,
    ``InternalServerError`` or ``ServiceUnavailable``; the wire layer words it
    as each vendor does. ``unsubscribed_at`` is set with ``Unsubscribed``,
    ``retry_after`` (seconds) with ``TooManyRequests`` and
    ``ServiceUnavailable``.
    """

    def __init__(
        self,
        reason: str,
        detail: str,
        unsubscribed_at: datetime | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.reason = reason
        self.detail = detail
        self.unsubscribed_at = unsubscribed_at
        self.retry_after = retry_after
        super().__init__(f"{reason}: {detail}")


class UnknownSubscription(WebPushError, KeyError):
    """Raised when a control call names a push endpoint never handed out."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        super().__init__(
            f"no subscription has endpoint {endpoint_url!r}; use the endpoint "
            "returned by WebPushService.subscribe()."
        )

    def __str__(self) -> str:
        return str(self.args[0])


class BadSetup(WebPushError, ValueError):
    """Raised when subscribe() gets an unknown origin or keys a browser refuses."""
