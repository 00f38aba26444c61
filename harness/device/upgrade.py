"""An app updated in place from the legacy SDK to the current one.

:class:`UpgradedSdk` is the current SDK in the new build. It migrates what the
legacy SDK left in the app's storage as the real SDKs do when the app passes
``migrationSiteId`` (the old site id), which Customer.io's 2.x-to-3.x upgrade
guide asks for: customerio-ios 4.x (DataPipelineMigrationAssistant,
DataPipelineImplementation+BGQ, commonIdentifyProfile) and customerio-android
4.x (MigrationAssistant, TrackingMigrationProcessor).

Two field faults live here. With ``major_upgrade_sends_no_device_event``
(FR-03) the new build never hands the new SDK a token. With
``upgrade_duplicates_device`` (FR-13) the new build keeps running the old SDK
beside the new one (:class:`SdkPair`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from ..clock import Clock
from ..ids import Ids
from ..journal import Journal, plural, short_token
from .client import SdkClient
from .legacy import NO_DEVICE, SHARED_TOKEN, LegacySdk, LegacyStore, task_token
from .sdk import MobileSdk, SdkConfig
from .storage import Sandbox


class UpgradedSdk(MobileSdk):
    """The current SDK over a legacy SDK's data, migrating it at each start.

    - Android first hands the old token to the new SDK if it holds none, which
      registers it, or deletes the old one if it already holds another
      (processDeviceMigration). iOS needs no such step: both generations keep
      the token in one store.
    - If no one is identified yet, the old profile is (iOS
      processAlreadyIdentifiedUser, Android processProfileMigration): identify,
      then Device Created or Updated for the stored token.
    - The unsent queue is replayed as Data Pipelines events, each under its own
      person and time (the BGQ handlers), and the old stores are cleared.

    The token identify registered is then the SDK's token in memory (iOS keeps
    it in ``contextPlugin.deviceToken``), so a different token from the OS at
    this launch deletes it first, and the install keeps one device.
    """

    def __init__(
        self,
        config: SdkConfig,
        legacy: LegacyStore,
        device: Any,
        sandbox: Sandbox,
        http: httpx.Client,
        clock: Clock,
        ids: Ids,
        journal: Journal,
    ) -> None:
        super().__init__(config, device, sandbox, http, clock, ids, journal)
        self.legacy = legacy

    def start(self) -> None:
        """Initialise as the current SDK does, then migrate the legacy data."""
        super().start()
        if self.legacy.holds_data():
            self._migrate()

    def register_device_token(self, token: str) -> None:
        """Register the token, unless the build never hands it over (FR-03).

        With ``major_upgrade_sends_no_device_event`` the new build still passes
        the OS token to the old SDK's registration call, which the new major
        no longer wires to anything, and reads no token the old SDK stored.
        """
        if self._fault(NO_DEVICE):
            self._log(
                f"token {short_token(token)} went to the old SDK's call, which "
                f"registers nothing now [fault {NO_DEVICE}]"
            )
            return
        super().register_device_token(token)

    def _migrate(self) -> None:
        legacy = self.legacy
        self._log("migrating the legacy SDK's profile, token and queue")
        if self.config.platform == "android" and legacy.token:
            self._migrate_token(legacy.token)
            legacy.token = None
        if self._fault(NO_DEVICE):
            self.sandbox.delete(SHARED_TOKEN)  # FR-03: its own store, found empty
        identifier = legacy.identifier
        if identifier and self.user_id is None:
            self.identify(identifier)
            if self.token:
                self._session_token = self.token
        legacy.identifier = None
        tasks = legacy.tasks()
        for task in tasks:
            self._replay(task)
        if tasks:
            self._log(f"{plural(len(tasks), 'unsent legacy task')} replayed")
        legacy.save([])

    def _migrate_token(self, token: str) -> None:
        if self._fault(NO_DEVICE):
            return
        if self.token is None:
            super().register_device_token(token)
        elif self.token != token:
            context = _device_context(token, "android")
            self._enqueue("track", event="Device Deleted", context=context)

    def _replay(self, task: dict[str, Any]) -> None:
        """Send one legacy task again as the Data Pipelines event it stands for."""
        body = task["body"] or {}
        who = {"userId": task["identifier"]} if task["identifier"] else {}
        at = _iso(task["created"])
        kind = task["type"]
        if kind == "identifyProfile":
            self._enqueue("identify", traits=body, timestamp=at, **who)
        elif kind == "trackEvent":
            at = _iso(body.get("timestamp") or task["created"])
            data = dict(body.get("data") or {})
            name = body["name"]
            if body.get("type") == "screen":
                self._enqueue("screen", name=name, properties=data, timestamp=at, **who)
            else:
                self._enqueue("track", event=name, properties=data, timestamp=at, **who)
        elif kind in ("registerPushToken", "deletePushToken"):
            context = _device_context(task_token(task) or "", self.config.platform)
            if kind == "deletePushToken":
                event, properties = "Device Deleted", {}
            else:
                event = "Device Created or Updated"
                properties = dict(body["device"].get("attributes") or {})
            self._enqueue(
                "track",
                event=event,
                properties=properties,
                context=context,
                timestamp=at,
                **who,
            )
        elif kind == "trackPushMetric":
            self._enqueue(
                "track",
                event="Report Delivery Event",
                properties={
                    "metric": body["event"],
                    "deliveryId": body["delivery_id"],
                    "recipient": body["device_id"],
                },
                anonymousId=body["delivery_id"],
                timestamp=_iso(body["timestamp"]),
            )


class SdkPair:
    """Both SDK generations in one build: FR-13's ``upgrade_duplicates_device``.

    The updated build links the new SDK but still runs the old integration
    code (a wrapper plugin pinned to the old native SDK, the old app delegate
    lines), so the legacy SDK keeps its stores, is started, and hears every
    identify, clearIdentify and token beside the new one; nothing migrates.
    That old code turned the APNs token into upper-case hex itself
    (:func:`.legacy.stored_form`), the new SDK encodes the OS's bytes in lower
    case, and Customer.io keeps one device per token string, so the person
    gets two device records for one iPhone; APNs reads hex in either case, so
    a broadcast or a transactional push shows twice. On Android both register
    the same string: one record, whose ``cio_sdk_version`` flips between
    3.11.1 and 4.19.0 with each SDK's write.

    The app's own tracking, push metrics and reads go to the new SDK.
    """

    def __init__(self, current: MobileSdk, legacy: LegacySdk) -> None:
        self.current, self.legacy = current, legacy
        # The old code runs first: on iOS both write the shared token store,
        # and the new SDK's own spelling is the one left in it.
        self._both: tuple[SdkClient, SdkClient] = (legacy, current)

    def start(self) -> None:
        """Start both SDKs."""
        for sdk in self._both:
            sdk.start()

    @property
    def token(self) -> str | None:
        """Return the new SDK's stored token."""
        return self.current.token

    @property
    def anonymous_id(self) -> str:
        """Return the new SDK's anonymous id."""
        return self.current.anonymous_id

    @property
    def user_id(self) -> str | None:
        """Return the person the new SDK has identified."""
        return self.current.user_id

    def identify(self, user_id: str, traits: dict[str, Any] | None = None) -> None:
        """Identify the person on both SDKs."""
        for sdk in self._both:
            sdk.identify(user_id, traits)

    def clear_identify(self) -> None:
        """Forget the person on both SDKs."""
        for sdk in self._both:
            sdk.clear_identify()

    def track(self, name: str, properties: dict[str, Any] | None = None) -> None:
        """Track on the new SDK."""
        self.current.track(name, properties)

    def screen(self, name: str, properties: dict[str, Any] | None = None) -> None:
        """Record the screen on the new SDK."""
        self.current.screen(name, properties)

    def alias(self, previous_id: str) -> None:
        """Alias on the new SDK."""
        self.current.alias(previous_id)

    def register_device_token(self, token: str) -> None:
        """Hand the token to both SDKs, each in its own spelling."""
        for sdk in self._both:
            sdk.register_device_token(token)

    def refresh_device_attributes(self) -> None:
        """Refresh the device on both SDKs."""
        for sdk in self._both:
            sdk.refresh_device_attributes()

    def report_metric(self, metric: str, delivery_id: str, token: str) -> None:
        """Report the metric through the new SDK's push module."""
        self.current.report_metric(metric, delivery_id, token)

    def report_delivered(self, delivery_id: str, token: str) -> bool:
        """Report delivered through the new SDK's push module."""
        return self.current.report_delivered(delivery_id, token)

    def flush(self) -> None:
        """Flush the new SDK (the legacy one has no flush)."""
        self.current.flush()

    def backgrounded(self) -> None:
        """Tell both SDKs the app went to the background."""
        for sdk in self._both:
            sdk.backgrounded()

    def foregrounded(self) -> None:
        """Tell both SDKs the app came back."""
        for sdk in self._both:
            sdk.foregrounded()

    def stop(self) -> None:
        """Stop both SDKs with the process."""
        for sdk in self._both:
            sdk.stop()

    def pending(self) -> list[dict[str, Any]]:
        """Return what both SDKs still hold for upload."""
        return self.current.pending() + self.legacy.pending()


def _device_context(token: str, platform: str) -> dict[str, Any]:
    return {"device": {"token": token, "type": platform}}


def _iso(unix: int) -> str:
    moment = datetime.fromtimestamp(unix, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
