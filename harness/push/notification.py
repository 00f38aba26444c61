"""What a push service hands a device, and what it answers the sender.

The two are kept apart on purpose: a provider may accept a notification (a
:class:`Verdict` with ``accepted=True``) that the device never shows, and a
device outcome is recorded by the phone or browser emulator, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["FOREIGN", "Notification", "PushEndpoint", "Verdict"]

# Served for real apps, the emulated providers accept well-formed tokens they
# never issued (real devices' tokens) instead of calling them bad: a named
# policy, on only when PushServices is built with foreign_tokens=True.
FOREIGN = (
    "token not issued by the emulator (a real device?): accepted, nothing observable"
)


@dataclass(frozen=True)
class Notification:
    """A notification as it reaches a device from its push service.

    ``token`` is the APNs device token, the FCM registration token or the web
    push endpoint URL. ``raw`` holds the payload bytes as the device receives
    them; for web push that is the encrypted body, which only the browser can
    read. ``data`` carries the custom keys, among them ``CIO-Delivery-ID``,
    ``CIO-Delivery-Token`` and ``link``. ``push_type`` is the APNs push type,
    ``notification`` or ``data`` for FCM (a data-only message runs the app's
    code; a notification message in the background is drawn by the system),
    or ``webpush``; a web push also carries in ``data`` what the service
    passes along for decryption (``encoding``, and ``salt`` and ``dh`` for
    ``aesgcm``). ``channel_id`` is the Android notification channel the
    message asks for, if any.
    """

    service: str
    token: str
    title: str | None
    body: str | None
    data: dict[str, str]
    delivery_id: str | None
    priority: str
    push_type: str
    collapse_id: str | None
    expires_at: datetime | None
    sent_at: datetime
    raw: bytes
    channel_id: str | None = None


class PushEndpoint(Protocol):
    """The receiving side of a push service: an emulated phone or browser.

    The service calls ``deliver`` when the device is reachable; otherwise it
    stores the notification under its own rules (see ``harness.push._store``)
    and tells the device through ``stored`` and, if it expires or is replaced
    before the device reconnects, ``discarded``.

    ``deliver`` runs inside the provider's request. From a phone (APNs, FCM) an
    exception reaches the sender's HTTP call, so a bug in the phone emulator or
    in the SDK it drives stays loud. A web push service keeps its 201 instead
    and journals what the browser raised (``WebPushService.handoff_errors``):
    the browser only decrypts and shows, and a push service never learns
    whether a message decrypts.
    """

    def deliver(self, notification: Notification) -> None:
        """Take a notification the push service hands over."""

    def reachable(self) -> bool:
        """Tell whether the device holds a connection to its push service now."""

    def stored(self, notification: Notification, note: str) -> None:
        """Hear that the service stores ``notification`` until the device is online."""

    def discarded(self, notification: Notification, note: str) -> None:
        """Hear that the service threw ``notification`` away without delivering it."""


@dataclass(frozen=True)
class Verdict:
    """What a push service answered the sender for one notification.

    ``token_dead`` tells the sender to prune the token. ``dead_since`` is the
    moment the token stopped being valid when the service says so (the APNs 410
    timestamp) or, on the emulator's own records, when the app or subscription
    went away. ``message_id`` is the apns-id, the FCM message name or the web
    push message Location.
    """

    service: str
    token: str
    accepted: bool
    status: int
    reason: str | None
    token_dead: bool
    dead_since: datetime | None
    message_id: str | None
