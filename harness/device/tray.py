"""The phone OS's side of a push: what it does with each one the provider hands over.

Every push that reaches the phone, or that its provider stores or throws away
for it, gets an :class:`~.inbox.Outcome` from the phone's state at that moment:

- shown; shown quietly (iOS provisional authorization);
- dropped: notifications off, Android 13+ without POST_NOTIFICATIONS, or the
  app's notification channel blocked while the app-level switch stays on;
- not delivered: the app is force-stopped, so Android hands it nothing;
- delayed: Doze holds a normal-priority FCM message until the next maintenance
  window, or the profile's OEM battery saver holds it for its push delay;
- stored until online: the provider keeps it while the phone is offline;
- never: the install it was for is gone, or the provider dropped it unsent.

What the app's code sees follows the real SDKs. Customer.io's Android SDK
reports ``delivered`` as soon as a message reaches the app (its receiver and
messaging service track it before drawing), so a message dropped by the OS
still counts as delivered; a notification message to a backgrounded app is
drawn by the system tray, not the SDK. On iOS the Notification Service
Extension runs only for a notification the system will present, so only shown
pushes report ``delivered``.

Named policies: Doze maintenance windows come every :data:`DOZE_WINDOW` (real
Android spaces them further apart the longer the phone lies still); the
Customer.io SDK draws on a channel named after the app's package, as
``CustomerIOPushNotificationHandler`` does.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from ..clock import Timer
from ..push.notification import Notification
from .inbox import InboxItem, Outcome

if TYPE_CHECKING:
    from .phone import EmulatedPhone

logger = logging.getLogger(__name__)

DOZE_WINDOW = timedelta(hours=1)
DOZE_API = 23


class Tray:
    """Decide and record what the OS does with each push for one phone."""

    def __init__(self, phone: EmulatedPhone) -> None:
        self._phone = phone
        self.dozing = False
        self.blocked_channels: set[str] = set()
        self._deferred: list[InboxItem] = []
        self._window: Timer | None = None

    # -- from the provider -----------------------------------------------------

    def stored(self, notification: Notification, note: str) -> None:
        """Record that the provider holds a push until the phone is online."""
        self._record(notification, Outcome.STORED, note)

    def discarded(self, notification: Notification, note: str) -> None:
        """Record that the provider threw a push away before it arrived."""
        self._record(notification, Outcome.NEVER, note)

    def deliver(self, notification: Notification) -> None:
        """Take a push the provider hands over: hold it, or let it arrive now."""
        hold = self._hold(_rendered(notification))
        if hold is None:
            self._arrive(notification)
            return
        reason, delay = hold
        item = self._record(notification, Outcome.DELAYED, reason)
        if delay is None:
            self._deferred.append(item)
            return
        clock = self._phone.context.clock
        clock.call_later(
            delay,
            lambda: self._release(item, "after the OEM delay"),
            f"{self._phone.name} delayed push",
        )

    # -- the phone's state changes ---------------------------------------------

    def doze(self) -> bool:
        """Enter Doze (screen off, still, unplugged); return False where none exists."""
        profile = self._phone.profile
        if profile.platform != "android" or (profile.api_level or 0) < DOZE_API:
            return False
        if not self.dozing:
            self.dozing = True
            self._schedule_window()
        return True

    def wake(self) -> int:
        """Leave Doze: every deferred push arrives now; return how many."""
        self.dozing = False
        if self._window is not None:
            self._window.cancel()
            self._window = None
        return self._release_deferred("the phone woke up")

    def block_channel(self, channel: str) -> None:
        """Set one notification channel to blocked in the app's settings."""
        self.blocked_channels.add(channel)

    # -- inside ----------------------------------------------------------------

    def _hold(self, notification: Notification) -> tuple[str, timedelta | None] | None:
        phone = self._phone
        if phone.app is None or notification.token != phone.token:
            return None
        if phone.state == "force_stopped":
            return None
        if self.dozing and notification.priority != "high":
            return (
                "Doze holds normal-priority messages until the next maintenance "
                "window; send high priority to reach a dozing phone",
                None,
            )
        delay = phone.profile.background.push_delay
        if phone.state != "foreground" and delay > timedelta(0):
            return f"held {delay} by the OEM battery saver", delay
        return None

    def _schedule_window(self) -> None:
        clock = self._phone.context.clock
        self._window = clock.call_later(
            DOZE_WINDOW, self._maintenance, f"{self._phone.name} Doze window"
        )

    def _maintenance(self) -> None:
        self._release_deferred("in a Doze maintenance window")
        if self.dozing:
            self._schedule_window()

    def _release_deferred(self, when: str) -> int:
        deferred, self._deferred = self._deferred, []
        for item in deferred:
            self._release(item, when)
        return len(deferred)

    def _release(self, item: InboxItem, when: str) -> None:
        if item.outcome is Outcome.DELAYED and item.received is not None:
            self._arrive(item.received, when)

    def _arrive(self, notification: Notification, when: str = "") -> None:
        outcome, reason = self._judge(_rendered(notification))
        reason = f"{reason} ({when})" if when else reason
        item = self._record(notification, outcome, reason)
        app = self._phone.app
        if app is None or outcome in (Outcome.NEVER, Outcome.NOT_DELIVERED):
            return
        app.push_arrived(item)

    def _judge(self, notification: Notification) -> tuple[Outcome, str]:
        phone = self._phone
        if phone.app is None or notification.token != phone.token:
            return Outcome.NEVER, "the install this token belonged to is gone"
        if phone.state == "force_stopped":
            return Outcome.NOT_DELIVERED, (
                "the app is force-stopped; Android delivers "
                "nothing until the user opens it"
            )
        if phone.permission == "provisional":
            return (
                Outcome.SHOWN_QUIETLY,
                "provisional authorization: Notification "
                "Center only, no banner or sound",
            )
        if phone.permission != "granted":
            return Outcome.DROPPED, phone.why_off()
        channel = self._channel(notification)
        if channel in self.blocked_channels:
            return Outcome.DROPPED, (
                f"channel {channel!r} is blocked in the app's notification "
                "settings; the app-level switch is on, so the SDK still reports "
                "push_enabled"
            )
        if self._system_draws(notification):
            return Outcome.SHOWN, (
                "notifications allowed; a notification message to a backgrounded "
                "app is drawn by the system tray, not by the SDK"
            )
        return Outcome.SHOWN, "notifications allowed"

    def _channel(self, notification: Notification) -> str | None:
        phone = self._phone
        if phone.profile.platform != "android" or phone.app is None:
            return None
        if self._system_draws(notification):
            return notification.channel_id or "fcm_fallback_notification_channel"
        return phone.app.profile.bundle_id

    def _system_draws(self, notification: Notification) -> bool:
        """Tell whether the system tray draws it without the app's code running."""
        return (
            notification.push_type == "notification"
            and self._phone.state != "foreground"
        )

    def _record(
        self, received: Notification, outcome: Outcome, reason: str
    ) -> InboxItem:
        """Move this push's item on to ``outcome`` (or add it), and journal it."""
        now = self._phone.context.clock.now()
        shown = _rendered(received)
        item = self._phone.inbox.record(received, shown, outcome, reason, now)
        self._phone.context.journal.record(item.entry(now, "phone", self._phone.name))
        return item


def _rendered(notification: Notification) -> Notification:
    """Return the push as shown: Customer.io's Android SDK draws data messages.

    Android pushes arrive as data messages carrying ``title`` and ``body``; the
    SDK's push handler builds the visible notification from them.
    """
    if notification.title is not None or "title" not in notification.data:
        return notification
    return replace(
        notification,
        title=notification.data.get("title"),
        body=notification.data.get("body"),
    )
