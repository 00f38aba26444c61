"""Read a push payload handed straight to a phone, as its push service would.

iOS Simulators take an APNs payload (``simctl push``: ``aps`` and custom keys);
an Android debug build's receiver takes an FCM message's ``notification`` and
``data``. Either becomes the :class:`~harness.push.notification.Notification`
the phone's OS then judges like any delivered push. Values that are not
strings are kept as their JSON text, as the push services carry them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..push.notification import Notification


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
    return _notification("apns", token, title, body, data, kind, payload, now)


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
    return _notification("fcm", token, title, body, strings, kind, payload, now)


def _notification(
    service: str,
    token: str,
    title: str | None,
    body: str | None,
    data: dict[str, str],
    kind: str,
    payload: dict[str, Any],
    now: datetime,
) -> Notification:
    return Notification(
        service=service,
        token=token,
        title=title,
        body=body,
        data=data,
        delivery_id=data.get("CIO-Delivery-ID"),
        priority="high",
        push_type=kind,
        collapse_id=None,
        expires_at=None,
        sent_at=now,
        raw=json.dumps(payload).encode(),
    )


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)
