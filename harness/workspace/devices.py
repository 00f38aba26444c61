"""Devices on profiles, and the semantic events that manage them.

``Device Created or Updated`` and ``Device Deleted`` carry the token in
``context.device.token`` (some documented examples put it in
``properties.device``; both are read). ``Report Delivery Event`` records a push
metric against its delivery.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..journal import Entry, short_token
from .calls import Track
from .commands import AddDevice, DeleteDevice
from .errors import InvalidCall
from .records import Device, Person

if TYPE_CHECKING:
    from .model import Workspace

logger = logging.getLogger(__name__)

PLATFORMS = ("ios", "android")


# An APNs device token as an app should send it: the token's bytes in hex. The
# workspace keeps any other string (as Customer.io's API accepts it) but says so.
APNS_TOKEN = re.compile(r"[0-9a-fA-F]{64,200}")


class DeviceBook:
    """Keep every token once, with its owner, and apply the device events."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.by_token: dict[str, Device] = {}
        self.semantic: dict[str, Callable[[Track, Person | None], None]] = {
            "Device Created or Updated": self._upsert,
            "Device Deleted": self._delete,
            "Report Delivery Event": self._metric,
        }

    def of(self, person: Person) -> list[Device]:
        """Return the devices on a person's profile."""
        return [d for d in self.by_token.values() if d.owner == person.cio_id]

    def check(self, call: Track) -> None:
        """Raise InvalidCall if a semantic event lacks what it needs."""
        if call.name in ("Device Created or Updated", "Device Deleted"):
            token, _ = _device_of(call)
            self._check_owner(call, token)
        elif call.name == "Report Delivery Event":
            _metric_of(call)

    def _check_owner(self, call: Track, token: str) -> None:
        device = self.by_token.get(token)
        if self.workspace.single_owner or device is None or device.owner is None:
            return
        if call.name != "Device Created or Updated":
            return
        user_id = call.caller.user_id
        person = self.workspace.find(user_id) if user_id else None
        if user_id and (person is None or person.cio_id != device.owner):
            raise InvalidCall("token already belongs to another person")

    def adopt(self, anonymous_id: str, person: Person) -> None:
        """Move devices registered under an anonymous id onto ``person``."""
        for device in self.by_token.values():
            if device.owner is None and device.anonymous_id == anonymous_id:
                device.owner = person.cio_id
                self._log(
                    device,
                    "device",
                    f"{_short(device.token)} moved from "
                    f"anonymous {anonymous_id} to {person.label}",
                )

    def prune(self, token: str, dead_since: datetime | None, reason: str) -> bool:
        """Remove a token a provider called dead, unless registered again since."""
        device = self.by_token.get(token)
        if device is None:
            return False
        if dead_since is not None and device.registered_at > dead_since:
            self._log(
                device,
                "device",
                f"{_short(token)} kept: registered again at "
                f"{device.registered_at:%H:%M:%S}, after the provider's "
                f"{reason} at {dead_since:%H:%M:%S}",
            )
            return False
        del self.by_token[token]
        self._log(device, "device", f"{_short(token)} pruned after {reason}")
        return True

    # -- Track API -------------------------------------------------------------

    def add(self, command: AddDevice, source: str) -> None:
        """Add or update a device on the person a Track API command names.

        The person is created if they do not exist, as for events. The token's
        owner follows ``single_owner`` as for the semantic events.
        """
        if command.platform not in PLATFORMS:
            raise InvalidCall(
                f"platform {command.platform!r} is not one of "
                f"{', '.join(PLATFORMS)}; send the device's push platform",
                field="device.platform",
            )
        workspace = self.workspace
        device = self.by_token.get(command.token)
        named = workspace.lookup(command.ref)
        owner = device.owner if device else None
        taken = owner is not None and (named is None or named.cio_id != owner)
        if taken and not workspace.single_owner:
            raise InvalidCall(
                f"token {short_token(command.token)} already belongs to another "
                "person; delete it from them first",
                field="device.id",
            )
        person = workspace.profiles.resolve(
            command.ref, "add device", source, create=True
        )
        if person is None:
            return
        now, verb = workspace.clock.now(), "created"
        if device is None:
            device = Device(command.token, command.platform, None, None, now, now)
            self.by_token[command.token] = device
        elif owner not in (None, person.cio_id):
            previous = workspace.people.get(owner)
            verb = f"moved from {previous.label if previous else owner}"
        else:
            verb = "updated"
        device.owner, device.platform = person.cio_id, command.platform
        device.registered_at, device.last_used = now, command.last_used or now
        device.attributes.update(command.attributes)
        enabled = command.attributes.get("push_enabled", "?")
        self._log(
            device,
            "device",
            f"{_short(command.token)} ({command.platform}) {verb} on "
            f"{person.label} ({source}), push_enabled={enabled!r}",
        )

    def remove(self, command: DeleteDevice, source: str) -> None:
        """Delete a device from the person a Track API command names."""
        ref, token = command.ref, command.token
        person = self.workspace.profiles.resolve(
            ref, "delete device", source, create=False
        )
        device = self.by_token.get(token)
        if person is None or device is None or device.owner != person.cio_id:
            held = "nobody" if device is None else "someone else"
            self.workspace.journal.record(
                Entry(
                    self.workspace.clock.now(),
                    "workspace",
                    "device",
                    f"delete of {_short(token)} for {ref} ({source}) changed "
                    f"nothing: the token is on {held}'s profile",
                    person=person.cio_id if person else None,
                    token=token,
                )
            )
            return
        del self.by_token[token]
        self._log(device, "device", f"{_short(token)} deleted ({source})")

    # -- semantic events -------------------------------------------------------

    def _upsert(self, call: Track, person: Person | None) -> None:
        token, platform = _device_of(call)
        now = self.workspace.clock.now()
        attributes = {k: v for k, v in call.properties.items() if k != "device"}
        device = self.by_token.get(token)
        owner = person.cio_id if person else None
        if device is None:
            device = Device(token, platform, owner, call.caller.anonymous_id, now, now)
            self.by_token[token] = device
            verb = "created"
        else:
            verb = "updated"
            if device.owner != owner and device.owner is not None and owner is not None:
                self._check_owner(call, token)
                previous = self.workspace.people.get(device.owner)
                verb = f"moved from {previous.label if previous else device.owner}"
            device.owner = owner if owner is not None else device.owner
            device.anonymous_id = call.caller.anonymous_id or device.anonymous_id
            device.platform = platform or device.platform
            device.registered_at = device.last_used = now
        device.attributes.update(attributes)
        who = person.label if person else f"anonymous {call.caller.anonymous_id}"
        enabled = attributes.get("push_enabled", "?")
        where = "to" if verb.startswith("moved") else "on"
        self._log(
            device,
            "device",
            f"{_short(token)} ({platform}) {verb} {where} {who}, "
            f"push_enabled={enabled!r}",
            anonymous_id=call.caller.anonymous_id,
        )
        if platform == "ios" and not APNS_TOKEN.fullmatch(token):
            self._log(
                device,
                "device",
                f"warning: {_short(token)} is not an APNs device token (64 to 200 "
                "hex digits), so APNs will answer BadDeviceToken; the app should "
                "send the token's bytes as hex, not their description",
                anonymous_id=call.caller.anonymous_id,
            )

    def _delete(self, call: Track, person: Person | None) -> None:
        token, _ = _device_of(call)
        device = self.by_token.get(token)
        if device is None:
            return
        mine = person is not None and device.owner == person.cio_id
        anonymous = device.owner is None and (
            device.anonymous_id == call.caller.anonymous_id
        )
        if not (mine or anonymous):
            self._log(
                device,
                "device",
                f"Device Deleted for {_short(token)} ignored: "
                "the token belongs to someone else now",
            )
            return
        del self.by_token[token]
        self._log(device, "device", f"{_short(token)} deleted by the SDK")

    def _metric(self, call: Track, person: Person | None) -> None:
        props = call.properties
        delivery_id, metric = _metric_of(call)
        workspace = self.workspace
        delivery = workspace.deliveries.get(delivery_id)
        now = call.caller.timestamp
        if delivery is None:
            logger.debug("metric %s for unknown delivery %s", metric, delivery_id)
            return
        seen = delivery.metrics.setdefault(metric.lower(), [])
        seen.append(now)
        workspace.journal.record(
            Entry(
                now,
                "workspace",
                "metric",
                f"{metric} metric for delivery {delivery_id}",
                person=delivery.person,
                delivery_id=delivery_id,
                token=props.get("recipient")
                if isinstance(props.get("recipient"), str)
                else None,
            )
        )

    def _log(self, device: Device, kind: str, text: str, **extra: Any) -> None:
        self.workspace.journal.record(
            Entry(
                self.workspace.clock.now(),
                "workspace",
                kind,
                text,
                person=device.owner,
                token=device.token,
                anonymous_id=extra.get("anonymous_id") or device.anonymous_id,
            )
        )


def _device_of(call: Track) -> tuple[str, str]:
    device = call.caller.context.get("device")
    if not isinstance(device, dict) or not device.get("token"):
        device = call.properties.get("device")
    if not isinstance(device, dict) or not isinstance(device.get("token"), str):
        raise InvalidCall(
            f"{call.name} needs context.device.token (the push token) and "
            "context.device.type (ios, android or web)"
        )
    return device["token"], str(device.get("type") or "")


def _metric_of(call: Track) -> tuple[str, str]:
    delivery_id = call.properties.get("deliveryId")
    metric = call.properties.get("metric")
    if not isinstance(delivery_id, str) or not isinstance(metric, str):
        raise InvalidCall(
            "Report Delivery Event needs properties.deliveryId and properties.metric"
        )
    return delivery_id, metric


def _short(token: str) -> str:
    return f"token {short_token(token)}"
