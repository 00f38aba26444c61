"""What a push service keeps for a device that is offline, by each service's rules.

A provider hands an accepted notification to its device at once if the device
holds a connection; otherwise it stores it under its own policy and hands it
over when the device reconnects, unless it expired or a newer one replaced it
first. The device hears of each step (stored, then delivered or discarded), so
its inbox and the person's timeline say what happened.

Policies, from ../shared/reference/push.md:

- APNs keeps one notification per app on a device, the newest; ``apns-expiration:
  0`` means try once and never store; without the header the harness stores for
  APNs' 30-day limit (named policy: Apple does not say what it does then).
- FCM stores a message until its TTL; TTL 0 is now-or-never; a collapse key
  replaces the stored message with the same key, at most four keys per device
  (the oldest key goes first, a named policy: FCM does not promise which); over
  100 non-collapsible messages it drops them all.
- Web Push stores a message until its TTL; TTL 0 is now-or-never; a Topic
  replaces the undelivered message with the same topic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from harness.push.notification import Notification, PushEndpoint

APNS_STORAGE = timedelta(days=30)
FCM_COLLAPSE_KEYS = 4
FCM_PENDING_LIMIT = 100

Discard = tuple[Notification, str]
"""A stored notification the service threw away, and why."""
Kept = tuple[list[Notification], list[Discard]]
"""What waits after a new notification arrives, and what was thrown away."""


@dataclass
class _Slot:
    endpoint: PushEndpoint
    waiting: list[Notification] = field(default_factory=list)


@dataclass(frozen=True)
class Policy:
    """How one service stores for an offline device.

    ``keep`` decides, given what is already waiting and a new notification,
    what waits now and what is discarded, each with its reason.
    """

    label: str
    keep: Callable[[list[Notification], Notification], Kept]
    lifetime: Callable[[Notification], datetime | None]


class Store:
    """The notifications one provider holds for offline devices, by token."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._slots: dict[str, _Slot] = {}

    def hand_over(
        self, notification: Notification, endpoint: PushEndpoint, now: datetime
    ) -> None:
        """Deliver ``notification`` now, or store it while the device is offline."""
        if endpoint.reachable():
            endpoint.deliver(notification)
            return
        label = self._policy.label
        if self._expiry(notification) <= now:
            endpoint.discarded(
                notification,
                f"{label} tried once while the device was offline and does not "
                "store this push (its TTL or expiration is 0)",
            )
            return
        slot = self._slots.setdefault(notification.token, _Slot(endpoint))
        slot.endpoint = endpoint
        slot.waiting, discards = self._policy.keep(slot.waiting, notification)
        until = self._expiry(notification)
        endpoint.stored(
            notification,
            f"stored by {label} until the device is online (expires "
            f"{until:%Y-%m-%d %H:%M:%S})",
        )
        for old, why in discards:
            endpoint.discarded(old, why)

    def reconnect(self, token: str, now: datetime) -> int:
        """Hand every live stored notification for ``token`` over; return how many."""
        slot = self._slots.pop(token, None)
        if slot is None:
            return 0
        delivered = 0
        for notification in slot.waiting:
            expiry = self._expiry(notification)
            if expiry <= now:
                slot.endpoint.discarded(
                    notification,
                    f"expired at {self._policy.label} at {expiry:%Y-%m-%d %H:%M:%S} "
                    "before the device came online",
                )
                continue
            slot.endpoint.deliver(notification)
            delivered += 1
        return delivered

    def drop(self, token: str, note: str) -> int:
        """Throw away what waits for ``token`` (its subscription ended); how many."""
        slot = self._slots.pop(token, None)
        if slot is None:
            return 0
        for notification in slot.waiting:
            slot.endpoint.discarded(notification, note)
        return len(slot.waiting)

    def waiting(self, token: str) -> list[Notification]:
        """Return what waits for ``token``, oldest first."""
        slot = self._slots.get(token)
        return list(slot.waiting) if slot else []

    def _expiry(self, notification: Notification) -> datetime:
        lifetime = self._policy.lifetime(notification)
        return (
            lifetime
            if lifetime is not None
            else datetime.max.replace(tzinfo=notification.sent_at.tzinfo)
        )


def _apns_keep(waiting: list[Notification], new: Notification) -> Kept:
    why = "APNs keeps one stored notification per app; a newer push replaced it"
    return [new], [(old, why) for old in waiting]


def _apns_lifetime(notification: Notification) -> datetime:
    if notification.expires_at is not None:
        return notification.expires_at
    return notification.sent_at + APNS_STORAGE


def _fcm_keep(waiting: list[Notification], new: Notification) -> Kept:
    discards: list[Discard] = []
    kept = list(waiting)
    if new.collapse_id is not None:
        same = [n for n in kept if n.collapse_id == new.collapse_id]
        why = f"FCM replaced it with a newer message of collapse key {new.collapse_id}"
        discards += [(n, why) for n in same]
        kept = [n for n in kept if n.collapse_id != new.collapse_id]
        keys = list(dict.fromkeys(n.collapse_id for n in kept if n.collapse_id))
        if len(keys) >= FCM_COLLAPSE_KEYS:
            oldest = keys[0]
            why = (
                f"FCM stores at most {FCM_COLLAPSE_KEYS} collapse keys per device; "
                f"the oldest key, {oldest}, was dropped"
            )
            discards += [(n, why) for n in kept if n.collapse_id == oldest]
            kept = [n for n in kept if n.collapse_id != oldest]
    kept.append(new)
    plain = [n for n in kept if n.collapse_id is None]
    if len(plain) > FCM_PENDING_LIMIT:
        why = (
            f"over {FCM_PENDING_LIMIT} messages waited for the offline device; FCM "
            "dropped them all (the app gets onDeletedMessages)"
        )
        discards += [(n, why) for n in plain]
        kept = [n for n in kept if n.collapse_id is not None]
    return kept, discards


def _topic_keep(waiting: list[Notification], new: Notification) -> Kept:
    if new.collapse_id is None:
        return [*waiting, new], []
    why = f"a newer message with Topic {new.collapse_id} replaced it (RFC 8030 5.4)"
    same = [n for n in waiting if n.collapse_id == new.collapse_id]
    kept = [n for n in waiting if n.collapse_id != new.collapse_id]
    return [*kept, new], [(n, why) for n in same]


def _expires(notification: Notification) -> datetime | None:
    return notification.expires_at


APNS = Policy("APNs", _apns_keep, _apns_lifetime)
FCM = Policy("FCM", _fcm_keep, _expires)
WEB_PUSH = Policy("the push service", _topic_keep, _expires)
