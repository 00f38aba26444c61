"""The legacy Customer.io mobile SDK: iOS 2.x and Android 3.x over Track API v1.

:class:`LegacySdk` behaves as iOS 2.14.2 and Android 3.11.1 did, read from
customerio-ios at tag 2.14.2 (CustomerIOImplementation.swift, CIOApiEndpoint,
Queue, QueueRunRequest, HttpClient, DeviceAttributesProvider) and
customerio-android at tag 3.11.1 (ProfileRepository, DeviceRepository,
TrackRepository, Queue, QueueRunRequest, HttpRequestRunner, DeviceStore):

- Every call is a task in a background queue kept in the app's storage; the
  queue runs 30 s after a task is added, or at once when 10 wait, and sends
  each task to Track API v1 with Basic ``site_id:api_key``. A task the API
  refuses with 400 is deleted; any other failure keeps it for the next run,
  and a 401 or a 5xx pauses all requests for 5 minutes. Tasks in a group
  (identify, register token) hold back the tasks that depend on them.
- ``track`` and ``screen`` are ignored while no one is identified; a token is
  stored at once but registered only once someone is identified; identifying
  another person or ``clearIdentify`` deletes the device from the previous one.
- Push metrics go to ``POST /push/events``, without the ``/api/v1`` prefix.

What it leaves in the app's storage (:class:`LegacyStore`) is where the
current SDK's migration finds it after an update in place (:mod:`.upgrade`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

import httpx

from ..apps import AppProfile
from ..clock import Clock, Timer
from ..ids import Ids
from ..journal import Entry, Journal, plural, short_token
from .storage import Sandbox

logger = logging.getLogger(__name__)

VERSIONS = {"ios": "2.14.2", "android": "3.11.1"}
TRACK_HOST = "track.customer.io"
MIN_TASKS = 10
EXPIRES_AFTER = timedelta(days=3)
PAUSE = timedelta(minutes=5)
DUPLICATES = "upgrade_duplicates_device"
NO_DEVICE = "major_upgrade_sends_no_device_event"
# Where the current SDK (sdk.py) keeps its push token in the sandbox.
SHARED_TOKEN = "token"


@dataclass(frozen=True)
class LegacyConfig:
    """What the app passed to ``CustomerIO.initialize`` on the legacy SDK."""

    platform: str
    site_id: str
    api_key: str
    track_host: str = TRACK_HOST
    min_tasks: int = MIN_TASKS
    delay: timedelta = timedelta(seconds=30)
    faults: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, app: AppProfile, platform: str, track_auth: tuple[str, str]
    ) -> LegacyConfig:
        """Read the config from an app profile: ``flush_at`` only if it is set.

        The legacy default of 10 tasks (backgroundQueueMinNumberOfTasks) is not
        the current SDK's 20, so an app profile's default does not carry over.
        """
        sdk = app.sdk
        min_tasks = sdk.flush_at if "flush_at" in sdk.model_fields_set else MIN_TASKS
        return cls(
            platform,
            *track_auth,
            min_tasks=min_tasks,
            delay=sdk.flush_interval,
            faults=frozenset(app.faults),
        )


def stored_form(token: str, platform: str, faults: frozenset[str]) -> str:
    """Return the token as a legacy build kept it.

    With ``upgrade_duplicates_device`` (FR-13) the old iOS build turned the
    APNs token into upper-case hex itself (``%02X``) and handed the string to
    ``registerDeviceToken``; APNs reads hex in either case, Customer.io keeps a
    device per token string. FCM tokens have one form only.
    """
    if DUPLICATES in faults and platform == "ios":
        return token.upper()
    return token


class LegacyStore:
    """The legacy SDK's data in the app's storage, where the real SDKs keep it.

    The identified profile, the queue and the request pause are per site id
    (iOS ``io.customer.sdk.<bundle>.<siteId>`` and ``io.customer/<siteId>/queue``;
    Android ``io.customer.sdk.<package>.<siteId>``). The push token is per site
    on Android, but on iOS it sits in the store every site and both SDK
    generations share (``pushDeviceToken`` in ``io.customer.sdk.<bundle>.shared``),
    which is the sandbox key the current SDK keeps its token under.
    """

    def __init__(self, sandbox: Sandbox, platform: str, site_id: str) -> None:
        self.sandbox, self.platform = sandbox, platform
        self.prefix = f"io.customer.{site_id}."

    @property
    def identifier(self) -> str | None:
        """Return the identified profile's id."""
        return self._text("identifier")

    @identifier.setter
    def identifier(self, value: str | None) -> None:
        self._put("identifier", value)

    @property
    def token(self) -> str | None:
        """Return the stored push token."""
        if self.platform == "ios":
            value = self.sandbox.get(SHARED_TOKEN)
            return str(value) if value else None
        return self._text("device_token")

    @token.setter
    def token(self, value: str | None) -> None:
        if self.platform != "ios":
            self._put("device_token", value)
        elif value:
            self.sandbox.set(SHARED_TOKEN, value)
        else:
            self.sandbox.delete(SHARED_TOKEN)

    def tasks(self, queue: str = "queue") -> list[dict[str, Any]]:
        """Return the tasks of ``queue`` in the order they were added."""
        return list(self.sandbox.get(self.prefix + queue, []))

    def save(self, tasks: list[dict[str, Any]], queue: str = "queue") -> None:
        """Store the tasks of ``queue``."""
        self._put(queue, tasks or None)

    @property
    def paused_until(self) -> datetime | None:
        """Return when the request pause after a 401 or 5xx ends."""
        value = self.sandbox.get(self.prefix + "http_pause_ends")
        return value if isinstance(value, datetime) else None

    @paused_until.setter
    def paused_until(self, value: datetime | None) -> None:
        self._put("http_pause_ends", value)

    def holds_data(self) -> bool:
        """Tell whether a legacy build left anything to migrate."""
        leftover = self.identifier or self.tasks()
        return bool(leftover or (self.platform == "android" and self.token))

    def _text(self, key: str) -> str | None:
        value = self.sandbox.get(self.prefix + key)
        return str(value) if value else None

    def _put(self, key: str, value: Any) -> None:
        if value is None:
            self.sandbox.delete(self.prefix + key)
        else:
            self.sandbox.set(self.prefix + key, value)


class LegacySdk:
    """Identity, device registration and the background queue of the legacy SDK."""

    def __init__(
        self,
        config: LegacyConfig,
        device: Any,
        sandbox: Sandbox,
        http: httpx.Client,
        clock: Clock,
        ids: Ids,
        journal: Journal,
    ) -> None:
        self.config, self.device, self.sandbox = config, device, sandbox
        self.http, self.clock, self.ids, self.journal = http, clock, ids, journal
        self.store = LegacyStore(sandbox, config.platform, config.site_id)
        self._ios = config.platform == "ios"
        self._timer: Timer | None = None
        self._reported_push: bool | None = None

    # -- identity --------------------------------------------------------------

    def start(self) -> None:
        """Initialise: drop expired tasks; iOS re-registers the stored token.

        iOS 2.14.2 registers the stored token at initialisation (for wrappers
        whose token callback fires too early); Android 3.x relies on the push
        module fetching the token at each start, which the app hands over.
        """
        self._delete_expired()
        if self._ios and self.token:
            self.register_device_token(self.token)

    @property
    def token(self) -> str | None:
        """Return the stored push token (it survives restarts, not uninstalls)."""
        return self.store.token

    @property
    def anonymous_id(self) -> str:
        """Return an empty id: the legacy SDKs track no anonymous activity."""
        return ""

    @property
    def user_id(self) -> str | None:
        """Return the identified profile's id, if any."""
        return self.store.identifier

    def identify(self, user_id: str, traits: dict[str, Any] | None = None) -> None:
        """Identify the person; delete the device from a previous one first."""
        if not user_id.strip():
            self._log("identify ignored: the identifier is blank")
            return
        previous = self.user_id
        changing = previous is not None and previous != user_id
        if changing:
            self._delete_device()
        # iOS starts a group only on a change of person; Android also on the
        # first identify, and holds a re-identify behind the previous one.
        starts = changing or (previous is None and not self._ios)
        waits = [_person(previous)] if previous and not self._ios else []
        body: dict[str, Any] | None = dict(traits or {})
        if self._ios and not body:
            body = None  # iOS sends no body for an identify without attributes
        self._add(
            "identifyProfile",
            user_id,
            "PUT",
            _customer(user_id),
            body,
            group=_person(user_id) if starts else None,
            blocked=waits,
        )
        self.store.identifier = user_id
        if previous != user_id and self.token:
            self.register_device_token(self.token)

    def clear_identify(self) -> None:
        """Delete the device from the identified person, then forget them."""
        if self.user_id is None:
            return
        self._delete_device()
        self._log(f"{self.user_id} no longer identified")
        self.store.identifier = None

    def track(self, name: str, properties: dict[str, Any] | None = None) -> None:
        """Queue an event for the identified person; ignored while anonymous."""
        self._event("event", name, properties)

    def screen(self, name: str, properties: dict[str, Any] | None = None) -> None:
        """Queue a screen view for the identified person; ignored while anonymous."""
        self._event("screen", name, properties)

    def alias(self, previous_id: str) -> None:
        """Do nothing: the legacy SDKs cannot link a web session's anonymous id."""
        self._log(f"alias of {previous_id} ignored: the legacy SDK has no alias")

    # -- device ----------------------------------------------------------------

    def register_device_token(self, token: str) -> None:
        """Store the token; register it only if someone is identified."""
        if not token.strip():
            return
        token = stored_form(token, self.config.platform, self.config.faults)
        self.store.token = token
        identifier = self.user_id
        if identifier is None:
            self._log(
                f"token {short_token(token)} stored; the legacy SDK registers it "
                "once someone is identified",
                token=token,
            )
            return
        self._add(
            "registerPushToken",
            identifier,
            "PUT",
            _customer(identifier) + "/devices",
            self._device(token),
            group=_token(token),
            blocked=[_person(identifier)],
        )

    def refresh_device_attributes(self) -> None:
        """Re-register the device if push_enabled changed since it was reported.

        The legacy SDKs re-read nothing by themselves; an app sets
        ``deviceAttributes``, which registers the stored token again.
        """
        if self.token and self.device.push_enabled() != self._reported_push:
            self.register_device_token(self.token)

    def report_metric(self, metric: str, delivery_id: str, token: str) -> None:
        """Queue a push metric for ``POST /push/events``."""
        task = self._metric(metric, delivery_id, token)
        self._queue_task(task)

    def report_delivered(self, delivery_id: str, token: str) -> bool:
        """Report delivered as the push handler does; tell whether it was sent.

        iOS's Notification Service Extension queues the metric in its own
        storage and runs that queue before it hands the push to the OS.
        Android's receiver queues it in the app's queue, which runs on its timer
        while the process lives.
        """
        task = self._metric("delivered", delivery_id, token)
        if not self._ios:
            self._queue_task(task)
            return False
        self.store.save([*self.store.tasks("extension"), task], "extension")
        return task["id"] in self._run("extension")

    # -- process ---------------------------------------------------------------

    def flush(self) -> None:
        """Do nothing: the legacy SDKs offer no flush; their queue runs by itself."""

    def backgrounded(self) -> None:
        """Do nothing: the legacy SDKs do not watch the app's lifecycle."""

    def foregrounded(self) -> None:
        """Do nothing: the legacy SDKs re-read the permission only on a new token."""

    def stop(self) -> None:
        """End with the process: the queue timer dies, the queue stays on disk."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def pending(self) -> list[dict[str, Any]]:
        """Return the tasks waiting in the queue."""
        return self.store.tasks()

    def run_queue(self, queue: str = "queue") -> None:
        """Run every task it may, oldest first, as one queue run does.

        A task that fails holds back, for this run, the tasks that wait for its
        group. Offline, or while requests are paused, the run stops at once.
        """
        self._run(queue)

    def _run(self, queue: str) -> set[str]:
        """Run ``queue``; return the ids of the tasks the API accepted."""
        if queue == "queue":
            self.stop()
        held: set[str] = set()
        accepted: set[str] = set()
        for task in self.store.tasks(queue):
            if held & set(task["blocked"]):
                continue
            status = self._send(task)
            if status is None:
                break
            if status < 300:
                accepted.add(task["id"])
            elif task["group"]:
                held.add(task["group"])
            self._settle(queue, task, status)
        return accepted

    # -- queue -----------------------------------------------------------------

    def _event(self, kind: str, name: str, data: dict[str, Any] | None) -> None:
        identifier = self.user_id
        if identifier is None:
            self._log(f"{kind} {name!r} ignored: no one is identified")
            return
        body = {
            "type": kind,
            "name": name,
            "data": dict(data or {}),
            "timestamp": self._unix(),
        }
        self._add(
            "trackEvent",
            identifier,
            "POST",
            _customer(identifier) + "/events",
            body,
            blocked=[_person(identifier)],
        )

    def _delete_device(self) -> None:
        token, identifier = self.token, self.user_id
        if token is None or identifier is None:
            return
        blocked = [_token(token), _person(identifier)] if self._ios else [_token(token)]
        path = f"{_customer(identifier)}/devices/{quote(token, safe='')}"
        self._add("deletePushToken", identifier, "DELETE", path, None, blocked=blocked)

    def _metric(self, metric: str, delivery_id: str, token: str) -> dict[str, Any]:
        body = {
            "delivery_id": delivery_id,
            "event": metric,
            "device_id": token,
            "timestamp": self._unix(),
        }
        # Android holds a metric back until its token's registration ran.
        blocked = [] if self._ios else [_token(token)]
        return self._task(
            "trackPushMetric", None, "POST", "/push/events", body, None, blocked
        )

    def _add(
        self,
        kind: str,
        identifier: str | None,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        group: str | None = None,
        blocked: list[str] | None = None,
    ) -> None:
        task = self._task(kind, identifier, method, path, body, group, blocked or [])
        self._queue_task(task)

    def _task(
        self,
        kind: str,
        identifier: str | None,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        group: str | None,
        blocked: list[str],
    ) -> dict[str, Any]:
        return {
            "id": self.ids.uuid4(),
            "type": kind,
            "identifier": identifier,
            "method": method,
            "path": path,
            "body": body,
            "group": group,
            "blocked": blocked,
            "created": self._unix(),
            "runs": 0,
        }

    def _queue_task(self, task: dict[str, Any]) -> None:
        tasks = [*self.store.tasks(), task]
        self.store.save(tasks)
        who = task["identifier"] or "no one"
        self._log(f"{task['type']} queued for {who}", token=task_token(task))
        if len(tasks) >= self.config.min_tasks:
            self.run_queue()
        elif self._timer is None or self._timer.cancelled:
            self._timer = self.clock.call_later(
                self.config.delay,
                self._on_timer,
                f"legacy SDK queue on {self.device.name}",
            )

    def _on_timer(self) -> None:
        self._timer = None
        if self.device.is_running():
            self.run_queue()

    def _settle(self, queue: str, task: dict[str, Any], status: int) -> None:
        tasks = self.store.tasks(queue)
        if status < 300 or status == 400:
            tasks = [t for t in tasks if t["id"] != task["id"]]
        else:
            task = {**task, "runs": task["runs"] + 1}
            tasks = [task if t["id"] == task["id"] else t for t in tasks]
        self.store.save(tasks, queue)
        if status == 400:
            self._log(
                f"{task['type']} deleted: the API refused it with 400",
                token=task_token(task),
            )
        elif status >= 300:
            self._log(
                f"{task['type']} kept for retry: the API answered {status}",
                token=task_token(task),
            )

    def _delete_expired(self) -> None:
        cutoff = (self.device.now() - EXPIRES_AFTER).timestamp()
        tasks = self.store.tasks()
        # A task that starts a group stays: the tasks after it depend on it.
        kept = [t for t in tasks if t["group"] or t["created"] >= cutoff]
        if len(kept) < len(tasks):
            self.store.save(kept)
            self._log(f"{plural(len(tasks) - len(kept), 'expired task')} deleted")

    # -- HTTP ------------------------------------------------------------------

    def _send(self, task: dict[str, Any]) -> int | None:
        """Send one task; return the status, or None if no request was made."""
        now = self.device.now()
        paused = self.store.paused_until
        if not self.device.online or (paused is not None and now < paused):
            why = "offline" if not self.device.online else "requests paused"
            self._log(f"queue run stopped: {why}; tasks kept")
            return None
        body = task["body"]
        content = None if body is None else _json(body, sort=self._ios)
        try:
            response = self.http.request(
                task["method"],
                f"https://{self.config.track_host}{task['path']}",
                content=content,
                headers=self._headers(),
                auth=(self.config.site_id, self.config.api_key),
            )
        except httpx.HTTPError as error:
            self._log(f"queue run stopped: {error}; tasks kept")
            return None
        status = response.status_code
        logger.debug("%s %s answered %s", task["method"], task["path"], status)
        if status == 401 or status >= 500:
            self.store.paused_until = now + PAUSE
            self._log(f"API answered {status}: requests paused for 5 minutes")
        return status

    def _headers(self) -> dict[str, str]:
        info = self.device.info()
        if self._ios:
            where = f"{info['model']}; iOS {info['os_version']}"
            client = "iOS"
        else:
            where = f"{info['manufacturer']} {info['model']}; {info['api_level']}"
            client = "Android"
        version = VERSIONS[self.config.platform]
        agent = (
            f"Customer.io {client} Client/{version} ({where}) "
            f"{info['bundle_id']}/{info['app_version']}"
        )
        return {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": agent,
        }

    def _device(self, token: str) -> dict[str, Any]:
        info = self.device.info()
        enabled = bool(self.device.push_enabled())
        self._reported_push = enabled
        attributes: dict[str, Any] = {
            "device_os": info["os_version"] if self._ios else info["api_level"],
            "device_model": info["model"],
            "device_manufacturer": info["manufacturer"],
            "app_version": info["app_version"],
            "cio_sdk_version": VERSIONS[self.config.platform],
            "device_locale": info["locale"],
            # iOS sends String(isSubscribed); Android a boolean.
            "push_enabled": str(enabled).lower() if self._ios else enabled,
        }
        return {
            "device": {
                "id": token,
                "platform": "iOS" if self._ios else "android",
                "last_used": self._unix(),
                "attributes": attributes,
            }
        }

    def _unix(self) -> int:
        return int(self.device.now().timestamp())

    def _log(self, text: str, **subjects: Any) -> None:
        self.journal.record(
            Entry(
                self.clock.now(),
                "sdk",
                "sdk",
                f"legacy SDK: {text}",
                token=subjects.get("token") or self.token,
                device=self.device.name,
            )
        )


def _customer(identifier: str) -> str:
    return f"/api/v1/customers/{quote(identifier, safe='@')}"


def _person(identifier: str) -> str:
    return f"identified_profile_{identifier}"


def _token(token: str) -> str:
    return f"registered_push_token_{token}"


def task_token(task: dict[str, Any]) -> str | None:
    """Return the push token a queued task is about, if any."""
    body = task["body"] or {}
    found = body.get("device", {}).get("id") or body.get("device_id")
    if task["type"] == "deletePushToken":
        found = unquote(task["path"].rsplit("/", 1)[-1])
    return str(found) if found else None


def _json(body: dict[str, Any], *, sort: bool) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=sort).encode()
