"""What the app needs from a Customer.io mobile SDK, whichever generation it ships.

The shop app (:mod:`.app`) talks to its SDK through :class:`SdkClient`. Two
generations fill it: the current one (:class:`.sdk.MobileSdk`, iOS 4.x and
Android 4.x over Data Pipelines) and the legacy one (:class:`.legacy.LegacySdk`,
iOS 2.x and Android 3.x over Track API v1). Where a generation has no such call
(the legacy SDKs have no anonymous id, no alias, no flush), its method says what
it does instead.
"""

from __future__ import annotations

from typing import Any, Protocol


class SdkClient(Protocol):
    """The calls an app makes on its Customer.io SDK, and what it reads back."""

    def start(self) -> None:
        """Initialise in a fresh process."""

    @property
    def token(self) -> str | None:
        """Return the stored push token."""

    @property
    def anonymous_id(self) -> str:
        """Return the current anonymous id (empty where the SDK has none)."""

    @property
    def user_id(self) -> str | None:
        """Return the identified person's id, if any."""

    def identify(self, user_id: str, traits: dict[str, Any] | None = None) -> None:
        """Identify the person using the app."""

    def clear_identify(self) -> None:
        """Forget the identified person."""

    def track(self, name: str, properties: dict[str, Any] | None = None) -> None:
        """Record an event."""

    def screen(self, name: str, properties: dict[str, Any] | None = None) -> None:
        """Record a screen view."""

    def alias(self, previous_id: str) -> None:
        """Link a web session's anonymous id to the identified person."""

    def register_device_token(self, token: str) -> None:
        """Take the push token the OS handed the app."""

    def refresh_device_attributes(self) -> None:
        """Report the device again if what it reports changed."""

    def report_metric(self, metric: str, delivery_id: str, token: str) -> None:
        """Report a push metric (opened) for a delivery."""

    def report_delivered(self, delivery_id: str, token: str) -> bool:
        """Report a push as delivered; tell whether it reached the API now."""

    def flush(self) -> None:
        """Send what is queued, as far as the SDK lets the app ask for it."""

    def backgrounded(self) -> None:
        """Hear that the app went to the background."""

    def foregrounded(self) -> None:
        """Hear that the app came back to the foreground."""

    def stop(self) -> None:
        """End with the process: timers die, stored data stays."""

    def pending(self) -> list[dict[str, Any]]:
        """Return what is still queued for upload."""
