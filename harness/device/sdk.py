"""The emulated Customer.io mobile SDK (iOS 4.x and Android 4.x behaviour).

What it sends follows shared/reference/customerio.md section 6: Segment-style
events queued in the app sandbox and uploaded as batches to ``https://{apiHost}/b``
with the write key in the body (Android gzips them as ``text/plain``); identity
captured on each event when it is created; device events around identify,
clearIdentify and token changes; push metrics as ``Report Delivery Event``.
"""

from __future__ import annotations

import gzip
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from ..clock import Clock, Timer
from ..ids import Ids
from ..journal import Entry, Journal, plural
from .storage import Sandbox

logger = logging.getLogger(__name__)

VERSIONS = {"ios": "4.7.5", "android": "4.19.0"}
REGION_HOST = "cdp.customer.io/v1"


@dataclass(frozen=True)
class SdkConfig:
    """What the app passes to the SDK at start."""

    platform: str
    write_key: str
    api_host: str = REGION_HOST
    cdn_host: str = REGION_HOST
    flush_at: int = 20
    flush_interval: timedelta = timedelta(seconds=30)
    track_lifecycle: bool = True
    auto_track_push: bool = True
    faults: frozenset[str] = frozenset()


class MobileSdk:
    """Queue, identity and device registration, as the real SDK keeps them."""

    def __init__(
        self,
        config: SdkConfig,
        device: Any,
        sandbox: Sandbox,
        http: httpx.Client,
        clock: Clock,
        ids: Ids,
        journal: Journal,
    ) -> None:
        self.config, self.device, self.sandbox = config, device, sandbox
        self.http, self.clock, self.ids, self.journal = http, clock, ids, journal
        self._session_token: str | None = None
        self._timer: Timer | None = None
        self._reported_push: object = None
        self._launch_permission: bool | None = None
        self._upload_disabled = False
        self._applies_after_next_event: str | None = None

    # -- public API ------------------------------------------------------------

    def start(self) -> None:
        """Initialise in a fresh process: load ids, fetch settings, log the open."""
        self._session_token = None
        self._launch_permission = self.device.push_enabled()
        if self.sandbox.get("anonymous_id") is None:
            self.sandbox.set("anonymous_id", self._new_anonymous_id())
        fetched = self._fetch_settings()
        self._upload_disabled = not fetched and self._fault(
            "offline_start_disables_upload"
        )
        if self._upload_disabled:
            self._log(
                "settings not fetched (offline): the upload destination stays "
                "disabled until the next launch [fault offline_start_disables_upload]"
            )
        if self.config.track_lifecycle:
            if not self.sandbox.get("installed"):
                self.sandbox.set("installed", True)
                self._enqueue("track", event="Application Installed")
            self._enqueue("track", event="Application Opened")

    @property
    def token(self) -> str | None:
        """Return the stored push token (it survives restarts, not uninstalls)."""
        value = self.sandbox.get("token")
        return str(value) if value else None

    @property
    def anonymous_id(self) -> str:
        """Return the current anonymous id."""
        return str(self.sandbox.get("anonymous_id"))

    @property
    def user_id(self) -> str | None:
        """Return the identified user id, if any."""
        value = self.sandbox.get("user_id")
        return str(value) if value else None

    def identify(self, user_id: str, traits: dict[str, Any] | None = None) -> None:
        """Identify the person; move the device from any previous person."""
        if not user_id.strip():
            return
        previous = self.user_id
        if previous == user_id and not traits:
            return
        if previous and previous != user_id and self.token:
            self._enqueue("track", event="Device Deleted")
        if self._fault("identify_applied_async"):
            # The identify call goes out as user_id, yet the SDK's identity
            # changes only after the app's next track call has been queued.
            self._applies_after_next_event = user_id
            self._enqueue("identify", traits=dict(traits or {}), userId=user_id)
            if previous != user_id and self.token:
                self._reregister()
            return
        self.sandbox.set("user_id", user_id)
        self._enqueue("identify", traits=dict(traits or {}))
        if previous != user_id and self.token:
            self._reregister()

    def _reregister(self) -> None:
        # The stored token goes to the newly identified person and becomes this
        # process's token, so a different one later deletes it (as the iOS
        # SDK's addDeviceAttributes does). After a restore that token is the
        # backed-up phone's: a known hazard, docs/fuzz.md "Restored twins".
        self._session_token = self.token
        self._device_event()

    def clear_identify(self) -> None:
        """Forget the person: delete the device from them, then reset identity.

        Both SDKs delete a stored token even when no one is identified, which
        takes it off the anonymous profile too.
        """
        if self.token:
            self._enqueue("track", event="Device Deleted")
        if self._fault("logout_leaves_device_on_previous_person"):
            lost = len(self.sandbox.get("queue", []))
            self.sandbox.set("queue", [])
            self._log(
                f"reset emptied the queue: {plural(lost, 'event')} lost, the "
                "Device Deleted among them "
                "[fault logout_leaves_device_on_previous_person]"
            )
        self.sandbox.delete("user_id")
        self.sandbox.set("anonymous_id", self._new_anonymous_id())

    def track(self, name: str, properties: dict[str, Any] | None = None) -> None:
        """Record an event under the identity current at this moment."""
        if not self.user_id and self._fault("anonymous_events_dropped"):
            self._log(
                f"track {name!r} ignored: no one is identified "
                "[fault anonymous_events_dropped]"
            )
            return
        self._enqueue("track", event=name, properties=dict(properties or {}))
        if self._applies_after_next_event:
            self.sandbox.set("user_id", self._applies_after_next_event)
            self._applies_after_next_event = None

    def screen(self, name: str, properties: dict[str, Any] | None = None) -> None:
        """Record a screen view."""
        self._enqueue("screen", name=name, properties=dict(properties or {}))

    def alias(self, previous_id: str) -> None:
        """Merge ``previous_id`` (a web session's anonymous id) into the user."""
        if self.user_id:
            self._enqueue("alias", previousId=previous_id)

    def register_device_token(self, token: str) -> None:
        """Store the token and register it; a changed token deletes the old one.

        Like the real SDKs, only a change within this process sends the delete:
        the comparison is with the token seen since start, so a rotation across a
        restart leaves the old token on the profile until the backend prunes it.
        """
        if not token.strip():
            return
        if not self.user_id and self._fault("token_before_identify_never_attached"):
            self._log(
                "token ignored: no one is identified yet "
                "[fault token_before_identify_never_attached]"
            )
            return
        unchanged = token == self.token
        if unchanged and self._fault("settings_revoke_not_reported"):
            self._session_token = token
            return  # attributes go out only when the token changes
        rotated = bool(self._session_token) and self._session_token != token
        if rotated and self._fault("rotation_deletes_new_device"):
            # The delete is filled in with the token current at upload: the new one.
            self._session_token = token
            self.sandbox.set("token", token)
            self._device_event()
            self._enqueue("track", event="Device Deleted")
            return
        if rotated:
            self._enqueue("track", event="Device Deleted")
        self._session_token = token
        self.sandbox.set("token", token)
        self._device_event()

    def refresh_device_attributes(self) -> None:
        """Re-send the device if push_enabled changed since it was last reported."""
        if self.token and self._push_enabled() != self._reported_push:
            self._device_event()

    def _push_enabled(self) -> bool:
        if self._fault("grant_seen_only_on_relaunch"):
            return bool(self._launch_permission)
        return bool(self.device.push_enabled())

    def report_metric(self, metric: str, delivery_id: str, token: str) -> None:
        """Queue a push metric (opened) through the normal pipeline."""
        self._enqueue(
            "track",
            event="Report Delivery Event",
            properties={
                "metric": metric,
                "deliveryId": delivery_id,
                "recipient": token,
            },
        )

    def report_delivered(self, delivery_id: str, token: str) -> bool:
        """Send the delivered metric at once, as the push handler does.

        iOS sends it from the Notification Service Extension to the region host,
        not the configured apiHost; Android posts to the configured apiHost.
        """
        host = REGION_HOST if self.config.platform == "ios" else self._api_host()
        body = {
            "anonymousId": delivery_id,
            "event": "Report Delivery Event",
            "properties": {
                "recipient": token,
                "metric": "delivered",
                "deliveryId": delivery_id,
            },
            "messageId": self.ids.uuid4(),
            "timestamp": _iso(self.device.now()),
            "sentAt": _iso(self.device.now()),
            "type": "track",
        }
        try:
            response = self.http.post(
                f"https://{host}/track", json=body, auth=(self.config.write_key, "")
            )
        except httpx.HTTPError as error:
            self._log(
                "delivered metric not sent: " + str(error), delivery_id=delivery_id
            )
            return False
        return response.status_code < 300

    # -- queue -----------------------------------------------------------------

    def flush(self) -> None:
        """Upload every queued event in batches; keep them if the upload fails."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        queue: list[dict[str, Any]] = self.sandbox.get("queue", [])
        while queue:
            batch = queue[: self.config.flush_at]
            status = self._upload(batch)
            if status is None or not self._drops(status) and status >= 300:
                self._schedule()
                return
            if status >= 400:
                self._log(f"batch of {len(batch)} dropped: the API answered {status}")
            del queue[: len(batch)]
            self.sandbox.set("queue", queue)

    def _drops(self, status: int) -> bool:
        """Tell whether a failed upload's batch is deleted rather than kept.

        iOS deletes a batch only on 400; Android on any 4xx but 429.
        """
        if self.config.platform == "ios":
            return status == 400
        return 400 <= status < 500 and status != 429

    def backgrounded(self) -> None:
        """Log the app going to the background and flush, as the SDK does."""
        if self.config.track_lifecycle:
            self._enqueue("track", event="Application Backgrounded")
        self.flush()

    def foregrounded(self) -> None:
        """Log the app coming back and re-read the permission."""
        if self.config.track_lifecycle:
            self._enqueue(
                "track",
                event="Application Opened",
                properties={"from_background": True},
            )
        if not self._fault("settings_revoke_not_reported"):
            self.refresh_device_attributes()

    def stop(self) -> None:
        """End with the process: the flush timer dies, the queue stays on disk."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._session_token = None

    def pending(self) -> list[dict[str, Any]]:
        """Return the events still waiting in the queue."""
        return list(self.sandbox.get("queue", []))

    def _enqueue(self, kind: str, **fields: Any) -> None:
        event = self._envelope(kind, fields)
        queue = self.sandbox.get("queue", [])
        queue.append(event)
        self.sandbox.set("queue", queue)
        name = fields.get("event") or fields.get("name") or ""
        who = self.user_id or f"anonymous {self.anonymous_id}"
        self._log(f"{kind} {name!r} queued as {who}".replace(" ''", ""))
        if len(queue) >= self.config.flush_at:
            self.flush()
        else:
            self._schedule()

    def _schedule(self) -> None:
        if self._timer is None or self._timer.cancelled:
            self._timer = self.clock.call_later(
                self.config.flush_interval,
                self._on_timer,
                f"SDK flush on {self.device.name}",
            )

    def _on_timer(self) -> None:
        self._timer = None
        if self.device.is_running():
            self.flush()

    def _envelope(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        envelope: dict[str, Any] = {
            "type": kind,
            "messageId": self.ids.uuid4(),
            "timestamp": _iso(self.device.now()),
            "anonymousId": self.anonymous_id,
            "context": self._context(),
            "integrations": {},
            **fields,
        }
        if self.user_id and "userId" not in fields:
            envelope["userId"] = self.user_id
        return envelope

    def _context(self) -> dict[str, Any]:
        info = self.device.info()
        device = {
            "type": self.config.platform,
            "id": info["device_id"],
            "model": info["model"],
            "manufacturer": info["manufacturer"],
        }
        if self.token:
            device["token"] = self.token
        return {
            "device": device,
            "os": {"name": info["os_name"], "version": info["os_version"]},
            "app": {
                "version": info["app_version"],
                "build": info["app_build"],
                "namespace": info["bundle_id"],
            },
            "userAgent": self._user_agent(info),
            "locale": info["locale"],
            "timezone": info["timezone"],
            "network": {"wifi": True, "cellular": False, "bluetooth": False},
        }

    def _device_event(self) -> None:
        info = self.device.info()
        enabled = self._push_enabled()
        self._reported_push = enabled
        ios = self.config.platform == "ios"
        attributes: dict[str, Any] = {
            "device_os": info["os_version"] if ios else info["api_level"],
            "device_model": info["model"],
            "device_manufacturer": info["manufacturer"],
            "app_version": info["app_version"],
            "cio_sdk_version": VERSIONS[self.config.platform],
            "device_locale": info["locale"],
            "push_enabled": ("true" if enabled else "false") if ios else enabled,
        }
        if ios:
            attributes["timezone"] = info["timezone"]
        self._enqueue("track", event="Device Created or Updated", properties=attributes)

    def _upload(self, batch: list[dict[str, Any]]) -> int | None:
        if not self.device.online:
            self._log(f"offline: {plural(len(batch), 'event')} kept for later")
            return None
        if self._upload_disabled:
            self._log(f"upload disabled: {plural(len(batch), 'event')} kept")
            return None
        if self._fault("identity_read_at_flush"):
            batch = [self._identity_now(event) for event in batch]
        body = {
            "batch": batch,
            "sentAt": _iso(self.device.now()),
            "writeKey": self.config.write_key,
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        headers = {"User-Agent": self._user_agent(self.device.info())}
        if self.config.platform == "android":
            raw = gzip.compress(raw, mtime=0)
            headers |= {"Content-Type": "text/plain", "Content-Encoding": "gzip"}
        else:
            headers["Content-Type"] = "application/json"
        try:
            response = self.http.post(
                f"https://{self._api_host()}/b", content=raw, headers=headers
            )
        except httpx.HTTPError as error:
            self._log(f"upload failed, kept for retry: {error}")
            return None
        self._log(f"uploaded a batch of {len(batch)} events: {response.status_code}")
        return response.status_code

    def _identity_now(self, event: dict[str, Any]) -> dict[str, Any]:
        """Fill an event's identity in at upload, as the faulty SDK did."""
        event = {**event, "anonymousId": self.anonymous_id}
        event.pop("userId", None)
        return event | ({"userId": self.user_id} if self.user_id else {})

    def _fault(self, name: str) -> bool:
        return name in self.config.faults

    def _fetch_settings(self) -> bool:
        """Fetch the workspace's settings; tell whether they came."""
        if not self.device.online:
            return False
        url = (
            f"https://{self.config.cdn_host}/projects/{self.config.write_key}/settings"
        )
        try:
            response = self.http.get(url)
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            return False
        settings = response.json()
        destination = settings.get("integrations", {}).get(
            "Customer.io Data Pipelines", {}
        )
        if destination.get("apiHost"):
            self.sandbox.set("api_host", destination["apiHost"])
        return True

    def _api_host(self) -> str:
        return str(self.sandbox.get("api_host") or self.config.api_host)

    def _new_anonymous_id(self) -> str:
        value = self.ids.uuid4()
        return value.upper() if self.config.platform == "ios" else value

    def _user_agent(self, info: dict[str, Any]) -> str:
        name = "iOS" if self.config.platform == "ios" else "Android"
        version = VERSIONS[self.config.platform]
        return (
            f"Customer.io {name} Client/{version} ({info['model']}; "
            f"{info['os_name']} {info['os_version']}) "
            f"{info['bundle_id']}/{info['app_version']}"
        )

    def _log(self, text: str, **subjects: Any) -> None:
        self.journal.record(
            Entry(
                self.clock.now(),
                "sdk",
                "sdk",
                text,
                anonymous_id=self.anonymous_id,
                token=self.token,
                device=self.device.name,
                delivery_id=subjects.get("delivery_id"),
            )
        )


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
