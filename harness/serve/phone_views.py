"""What the control API says of a phone: its state, and what it shows.

:func:`view` is a phone's state as ``GET /_harness/phones/{id}`` answers it;
:func:`notifications` is what it shows in the shape of UiAutomator2's ``mobile:
getNotifications`` (the Appium Settings app's listing): newest first, each a
``StatusBarNotification`` with its ``notification`` fields. A notification
that was tapped, or whose install is gone, stays listed with ``isRemoved``
true, as the Settings app's buffer keeps it.
"""

from __future__ import annotations

from typing import Any

from ..device.inbox import InboxItem
from .handset import Handset
from .plain import plain

TEMPLATE = "android.app.Notification$BigTextStyle"
USER_ID = 10000  # the uid Android gives the first app installed


def view(handset: Handset) -> dict[str, Any]:
    """Return the phone's state: its app, the app's state, permission and token."""
    phone = handset.phone
    app = phone.app
    return {
        "id": handset.id,
        "name": phone.name,
        "workspace": handset.workspace,
        "profile": phone.profile.name,
        "platform": phone.profile.platform,
        "app": app.profile.name if app else None,
        "bundle_id": app.profile.bundle_id if app else None,
        "app_version": app.profile.version if app else None,
        "app_state": handset.app_state,
        "state": phone.state,
        "notifications": phone.permission,
        "push_enabled": phone.push_enabled(),
        "answers_prompt": phone.answers_prompt,
        "token": phone.token,
        "online": phone.online,
        "installs": phone.installs,
        "screen": app.screen if app else None,
        "opened_links": list(app.opened_links) if app else [],
        "shown": len(phone.inbox.shown()),
    }


def notifications(handset: Handset) -> dict[str, Any]:
    """Return what the phone shows, as ``mobile: getNotifications`` answers."""
    phone = handset.phone
    listed = [
        _status_bar(handset, number, item)
        for number, item in enumerate(phone.inbox.items, start=1)
        if item.outcome.visible
    ]
    return {"statusBarNotifications": listed[::-1]}


def _status_bar(handset: Handset, number: int, item: InboxItem) -> dict[str, Any]:
    phone = handset.phone
    app = phone.app
    package = app.profile.bundle_id if app else ""
    key = f"0|{package}|{number}|null|{USER_ID}"
    gone = item.notification.token != phone.token or app is None
    note = item.notification
    extras: dict[str, Any] = {**note.data, "harness.outcome": item.outcome.value}
    if item.delivery_id:
        extras["harness.deliveryId"] = item.delivery_id
    return {
        "isGroup": False,
        "packageName": package,
        "isClearable": True,
        "isOngoing": False,
        "id": number,
        "tag": None,
        "notification": {
            "title": note.title,
            "bigTitle": note.title,
            "text": note.body,
            "bigText": note.body,
            "tickerText": None,
            "subText": None,
            "infoText": None,
            "template": TEMPLATE,
            "extras": extras,
        },
        "userHandle": 0,
        "groupKey": key,
        "overrideGroupKey": None,
        "postTime": int(item.at.timestamp() * 1000),
        "key": key,
        "isRemoved": item.tapped_at is not None or gone,
        "harness": {
            "deliveryId": item.delivery_id,
            "outcome": item.outcome.value,
            "at": plain(item.at),
            "tappedAt": plain(item.tapped_at),
        },
    }
