"""What an FCM message becomes on each platform, and the checks that need it.

A message has common parts (``notification``, ``data``) and overrides for each
platform (``android``, ``apns``, ``webpush``). The device receives:

- Android: ``android.notification``'s title, body and image over the common
  notification's; ``android.data`` instead of ``data`` when given. A message
  with a notification is a ``notification`` message (the system draws it when
  the app is in the background), one without is ``data``. Priority is
  ``android.priority``, by default HIGH for notification messages and NORMAL
  for data messages; the TTL is ``android.ttl`` (four weeks at most and by
  default), the collapse key ``android.collapse_key``, the channel
  ``android.notification.channel_id``.
- iOS: FCM hands the message to APNs, so ``push_type`` is ``alert`` when there
  is a notification or an ``aps.alert``, ``background`` otherwise. Priority
  comes from ``apns-priority`` (10 is high), by default 10 for alerts and 5
  for background pushes; ``apns-expiration`` (Unix seconds, 0 for now or never)
  sets the expiry, else four weeks; ``apns-collapse-id`` the collapse id. The
  payload's top-level string keys join the data.
- Web: ``webpush.notification``'s title, body and image over the common ones;
  ``webpush.data`` instead of ``data``; the ``Urgency`` header (``high`` is
  high), the ``TTL`` header in seconds (four weeks at most) and ``Topic`` as
  the collapse key.

Named policies: ``raw`` is the FCM message as sent, on every platform (FCM's
own APNs payload and its ``gcm.*`` keys are not rebuilt); a data-only message
to an iOS token with ``apns-priority: 10`` is INVALID_ARGUMENT, as FCM
documents, with the emulator's wording; ``restricted_package_name`` is
compared only for Android tokens.

Known gaps: iOS targets are stored under FCM's offline rules, not APNs' one
notification per app; the emulated browser reads Web Push bytes, so an FCM web
token's endpoint gets the message as FCM's JavaScript SDK would, unencrypted.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from harness.push import _numbers
from harness.push.fcm.errors import Rejected
from harness.push.fcm.topics import Condition
from harness.push.notification import Notification

DEFAULT_TTL = timedelta(weeks=4)
_TTL_CAP = int(DEFAULT_TTL.total_seconds())
_EXPIRATION_CAP = 253_402_300_799  # 9999-12-31T23:59:59Z


@dataclass(frozen=True)
class Content:
    """The visible parts of a notification."""

    title: str | None = None
    body: str | None = None
    image: str | None = None

    def over(self, base: Content | None) -> Content:
        """Return this content with the parts it lacks taken from ``base``."""
        if base is None:
            return self
        return Content(
            self.title if self.title is not None else base.title,
            self.body if self.body is not None else base.body,
            self.image if self.image is not None else base.image,
        )


@dataclass(frozen=True)
class AndroidOptions:
    """The ``android`` part of a message (AndroidConfig)."""

    collapse_key: str | None = None
    priority: str | None = None
    ttl: timedelta | None = None
    restricted_package_name: str | None = None
    data: dict[str, str] | None = None
    notification: Content | None = None
    channel_id: str | None = None


@dataclass(frozen=True)
class ApnsOptions:
    """The ``apns`` part: headers (lower-cased names), ``aps.alert``, custom keys."""

    headers: dict[str, str] = field(default_factory=dict)
    alert: Content | None = None
    custom: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WebOptions:
    """The ``webpush`` part: headers (lower-cased names), data, notification."""

    headers: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] | None = None
    notification: Content | None = None


@dataclass(frozen=True)
class FcmRequest:
    """A ``messages:send`` call, parsed from the wire.

    ``target`` is ``token``, ``topic`` or ``condition`` and ``address`` its
    value; ``condition`` is the parsed condition of a condition send. ``raw``
    is the message as the device receives it.
    """

    project: str
    validate_only: bool
    target: str
    address: str
    notification: Content | None
    data: dict[str, str]
    raw: bytes
    android: AndroidOptions = field(default_factory=AndroidOptions)
    apns: ApnsOptions = field(default_factory=ApnsOptions)
    webpush: WebOptions = field(default_factory=WebOptions)
    condition: Condition | None = None


def check(platform: str, package: str, request: FcmRequest) -> None:
    """Raise INVALID_ARGUMENT if ``request`` cannot go to this platform's app."""
    wanted = request.android.restricted_package_name
    if platform == "android" and wanted is not None and wanted != package:
        field_name = "message.android.restricted_package_name"
        message = (
            "The restricted_package_name does not match the package name of the "
            "app the registration token belongs to."
        )
        raise Rejected(
            "INVALID_ARGUMENT",
            message,
            explanation=f"restricted_package_name {wanted!r} is not {package!r}, "
            "the token's app; send the token's package name or leave it out.",
            violations=[(field_name, message)],
        )
    priority = request.apns.headers.get("apns-priority")
    if platform == "ios" and not _alerts(request) and priority == "10":
        message = (
            "A data-only message to an iOS app must have apns-priority 5; "
            "priority 10 is for messages with a notification."
        )
        raise Rejected(
            "INVALID_ARGUMENT",
            message,
            violations=[("message.apns.headers", message)],
        )


def reaches(request: FcmRequest, topics: Set[str]) -> bool:
    """Tell whether a topic or condition send reaches a device following ``topics``."""
    if request.condition is not None:
        return request.condition.matches(topics)
    return request.target == "topic" and request.address in topics


def build(
    platform: str, request: FcmRequest, now: datetime, token: str | None = None
) -> Notification:
    """Return what the device behind ``token`` (the target, by default) receives."""
    token = token or request.address
    if platform == "ios":
        notification = _ios(request, now)
    elif platform == "web":
        notification = _web(request, now)
    else:
        notification = _android(request, now)
    return replace(notification, token=token)


def _android(request: FcmRequest, now: datetime) -> Notification:
    android = request.android
    content = _content(android.notification, request.notification)
    data = android.data if android.data is not None else request.data
    kind = "notification" if content else "data"
    priority = android.priority or ("HIGH" if content else "NORMAL")
    ttl = min(android.ttl, DEFAULT_TTL) if android.ttl is not None else DEFAULT_TTL
    return _notification(
        request, now, content, data, priority == "HIGH", kind, android.collapse_key,
        now + ttl, android.channel_id,
    )  # fmt: skip


def _ios(request: FcmRequest, now: datetime) -> Notification:
    headers = request.apns.headers
    content = _content(request.apns.alert, request.notification)
    kind = "alert" if _alerts(request) else "background"
    priority = headers.get("apns-priority") or ("10" if kind == "alert" else "5")
    data = {**request.apns.custom, **request.data}
    return _notification(
        request, now, content, data, priority == "10", kind,
        headers.get("apns-collapse-id"), _apns_expiry(headers, now),
    )  # fmt: skip


def _web(request: FcmRequest, now: datetime) -> Notification:
    web = request.webpush
    content = _content(web.notification, request.notification)
    data = web.data if web.data is not None else request.data
    kind = "notification" if content else "data"
    seconds = _numbers.digits(web.headers.get("ttl", ""), _TTL_CAP)
    ttl = DEFAULT_TTL if seconds is None else timedelta(seconds=seconds)
    high = web.headers.get("urgency", "").lower() == "high"
    return _notification(
        request, now, content, data, high, kind, web.headers.get("topic"), now + ttl
    )


def _notification(
    request: FcmRequest,
    now: datetime,
    content: Content | None,
    data: dict[str, str],
    high: bool,
    kind: str,
    collapse_id: str | None,
    expires_at: datetime,
    channel_id: str | None = None,
) -> Notification:
    return Notification(
        service="fcm",
        token=request.address,
        title=content.title if content else None,
        body=content.body if content else None,
        data=data,
        delivery_id=data.get("CIO-Delivery-ID"),
        priority="high" if high else "normal",
        push_type=kind,
        collapse_id=collapse_id,
        expires_at=expires_at,
        sent_at=now,
        raw=request.raw,
        channel_id=channel_id,
    )


def _content(override: Content | None, base: Content | None) -> Content | None:
    if override is None:
        return base
    return override.over(base)


def _alerts(request: FcmRequest) -> bool:
    return request.notification is not None or request.apns.alert is not None


def _apns_expiry(headers: dict[str, str], now: datetime) -> datetime:
    seconds = _numbers.digits(headers.get("apns-expiration", ""), _EXPIRATION_CAP)
    if seconds is None:
        return now + DEFAULT_TTL
    if seconds == 0:
        return now
    return datetime.fromtimestamp(seconds, UTC)
