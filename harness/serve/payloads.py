"""Read a push payload handed straight to a phone, as its push service would.

iOS Simulators take an APNs payload (``simctl push``: ``aps`` and custom keys);
an Android debug build's receiver takes an FCM message's ``notification`` and
``data``. Either becomes the :class:`~harness.push.notification.Notification`
the phone's OS then judges like any delivered push. Values that are not
strings are kept as their JSON text, as the push services carry them; the
delivery id is read only from a string ``CIO-Delivery-ID``, as the SDKs read it.

Rules, checked before the phone sees anything (:func:`check`):

- an APNs payload needs ``aps``, an object: ``xcrun simctl push`` refuses a
  payload without one;
- an FCM message's ``notification`` and ``data``, when given, are objects.

:func:`hand` gives the push to the phone. A push with nothing to show is
:func:`silent`: on iOS one without an alert title or body (a background push,
``content-available: 1``), on Android a data message (no ``notification``)
with no ``title`` that is not Customer.io's (no ``CIO-Delivery-ID`` and
``CIO-Delivery-Token``; the SDK draws its own pushes even untitled). The app
gets it and its outcome is ``not shown``: it stays out of the inbox, so the
notification list never holds it and a tap cannot find it, and only Android's
SDK reports it delivered (on receipt, as for any message). A force-stopped
app gets nothing (``not delivered``). Such a push arrives at once: the
Doze and OEM holds of the tray are not applied to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..device.inbox import InboxItem, Outcome
from ..device.phone import EmulatedPhone
from ..journal import Entry
from ..push.notification import Notification
from .errors import PhoneRefused

NOT_SHOWN = "not shown"  # the outcome of a push with nothing to show
SIMPLE = '{"aps": {"alert": {"title": "Hi", "body": "there"}}}'


@dataclass(frozen=True)
class Pushed:
    """What became of a push handed to the phone: its outcome and why."""

    outcome: str
    reason: str


def hand(phone: EmulatedPhone, payload: dict[str, Any]) -> Pushed:
    """Give a checked payload to a phone with its app and a token; say what became."""
    assert phone.token is not None
    now = phone.context.clock.now()
    read = from_apns if phone.profile.push.service == "apns" else from_fcm
    notification = read(payload, phone.token, now)
    quiet = silent(payload, notification)
    if quiet is not None:
        return _unshown(phone, notification, quiet)
    before = len(phone.inbox)
    phone.deliver(notification)
    item = phone.inbox.items[before]
    return Pushed(item.outcome.value, item.reason)


def _unshown(phone: EmulatedPhone, notification: Notification, why: str) -> Pushed:
    """Hand the app a push with nothing to show; the inbox gets nothing."""
    app = phone.app
    assert app is not None
    if phone.state == "force_stopped":
        pushed = Pushed(
            Outcome.NOT_DELIVERED.value,
            "the app is force-stopped; the OS hands it nothing until the user opens it",
        )
    else:
        pushed = Pushed(NOT_SHOWN, why)
    now = phone.context.clock.now()
    text = f"{phone.name}: push {notification.title or ''!r} {pushed.outcome}"
    phone.context.journal.record(
        Entry(
            now,
            "phone",
            "outcome",
            f"{text}: {pushed.reason}",
            token=notification.token,
            delivery_id=notification.delivery_id,
            device=phone.name,
        )
    )
    if pushed.outcome == NOT_SHOWN and phone.profile.platform == "android":
        # Android's SDK reports delivered on receipt (tray.py); the item is the
        # app's view of the push, kept nowhere, so nothing lists it.
        app.push_arrived(InboxItem(notification, Outcome.DROPPED, why, now))
    return pushed


def check(payload: dict[str, Any], service: str) -> None:
    """Refuse a payload its platform's push tooling would refuse, naming the rule."""
    if service == "apns":
        aps = payload.get("aps")
        if not isinstance(aps, dict):
            got = "no" if aps is None else f"a {type(aps).__name__} as"
            raise PhoneRefused(
                "invalid_request",
                f'push: an APNs payload needs "aps", an object, and this one has '
                f'{got} "aps"; xcrun simctl push refuses such a payload too. Send '
                f'{SIMPLE}, or {{"aps": {{"content-available": 1}}}} for a '
                "background push.",
            )
        return
    for key in ("notification", "data"):
        if key in payload and not isinstance(payload[key], dict):
            raise PhoneRefused(
                "invalid_request",
                f'push: an FCM message\'s "{key}" is an object; this one is a '
                f'{type(payload[key]).__name__}. Send {{"{key}": {{"title": ...}}}}.',
            )


def silent(payload: dict[str, Any], notification: Notification) -> str | None:
    """Say why the OS shows nothing for a push with nothing to show, or None."""
    if notification.service == "apns":
        if notification.title or notification.body:
            return None
        aps = payload.get("aps")
        if isinstance(aps, dict) and aps.get("content-available") == 1:
            return (
                "a background push (content-available, no alert): iOS hands it to "
                "the app in the background and shows nothing"
            )
        return "the push has no alert and no content-available: iOS shows nothing"
    data = notification.data
    if notification.push_type == "data" and "title" not in data:
        if data.get("CIO-Delivery-ID") and data.get("CIO-Delivery-Token"):
            return None  # Customer.io's handler draws its pushes, title or not
        return (
            "a data message without a title or Customer.io's CIO-Delivery-ID and "
            "CIO-Delivery-Token: the SDK leaves it to the app, which draws nothing"
        )
    return None


def from_apns(payload: dict[str, Any], token: str, now: datetime) -> Notification:
    """Read an APNs payload (``aps`` and custom keys) as the phone receives it."""
    aps = payload.get("aps")
    aps = aps if isinstance(aps, dict) else {}
    alert = aps.get("alert")
    title = body = None
    if isinstance(alert, dict):
        title, body = _text(alert.get("title")), _text(alert.get("body"))
    elif alert is not None:
        body = _text(alert)
    data = {k: _text(v) or "" for k, v in payload.items() if k != "aps"}
    kind = "alert" if alert is not None else "background"
    delivery = _delivery_id(payload)
    return _notification("apns", token, title, body, data, kind, delivery, payload, now)


def from_fcm(payload: dict[str, Any], token: str, now: datetime) -> Notification:
    """Read an FCM message's ``notification`` and ``data`` as the app gets them.

    A payload with neither is taken as the data map itself.
    """
    content = payload.get("notification")
    data = payload.get("data")
    if content is None and data is None:
        data = payload
    content = content if isinstance(content, dict) else {}
    data = data if isinstance(data, dict) else {}
    title, body = _text(content.get("title")), _text(content.get("body"))
    strings = {str(k): _text(v) or "" for k, v in data.items()}
    kind = "notification" if content else "data"
    delivery = _delivery_id(data)
    return _notification(
        "fcm", token, title, body, strings, kind, delivery, payload, now
    )


def _notification(
    service: str,
    token: str,
    title: str | None,
    body: str | None,
    data: dict[str, str],
    kind: str,
    delivery_id: str | None,
    payload: dict[str, Any],
    now: datetime,
) -> Notification:
    return Notification(
        service=service,
        token=token,
        title=title,
        body=body,
        data=data,
        delivery_id=delivery_id,
        priority="high",
        push_type=kind,
        collapse_id=None,
        expires_at=None,
        sent_at=now,
        raw=json.dumps(payload).encode(),
    )


def _delivery_id(data: dict[str, Any]) -> str | None:
    value = data.get("CIO-Delivery-ID")
    return value if isinstance(value, str) and value else None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)
