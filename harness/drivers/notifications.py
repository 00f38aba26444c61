"""Read what an Android phone's notification shade shows into an inbox.

UiAutomator2's ``mobile: getNotifications`` (and the harnessfake driver's)
answers ``{"statusBarNotifications": [...]}``, each entry with its package,
``postTime`` (milliseconds) and a ``notification`` of ``title``, ``text`` and
the like. Only notifications on screen are listed, so every item is ``shown``;
drops and delays stay invisible to a real device's reader.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..device.inbox import Inbox, InboxItem, Outcome
from ..push.notification import Notification

__all__ = ["read_inbox"]

_DELIVERY_KEYS = ("CIO-Delivery-ID", "delivery_id")


def read_inbox(answer: Any, now: datetime) -> Inbox:
    """Return an inbox of the shown notifications in a getNotifications answer."""
    inbox = Inbox()
    entries = (
        answer.get("statusBarNotifications", []) if isinstance(answer, dict) else []
    )
    for entry in entries:
        shown = entry.get("notification") or {}
        extras = {str(k): str(v) for k, v in (shown.get("extras") or {}).items()}
        delivery = next((extras[k] for k in _DELIVERY_KEYS if k in extras), None)
        posted = entry.get("postTime")
        at = datetime.fromtimestamp(posted / 1000, UTC) if posted else now
        notification = Notification(
            service="fcm",
            token="",
            title=shown.get("title") or shown.get("bigTitle"),
            body=shown.get("text") or shown.get("bigText"),
            data=extras,
            delivery_id=delivery,
            priority="high",
            push_type="notification",
            collapse_id=None,
            expires_at=None,
            sent_at=at,
            raw=b"",
        )
        item = InboxItem(notification, Outcome.SHOWN, "in the notification shade", at)
        inbox.add(item)
    return inbox
