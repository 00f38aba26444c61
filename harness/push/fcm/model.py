"""The emulated FCM HTTP v1 API: projects, registration tokens, send rules.

The wire layer checks the message's shape; :class:`FcmService` checks what
needs state: the OAuth access token, the project a token belongs to, the
app's platform and the project's credentials for it, whether the app is still
installed and active, the per-device rate and the topics a token follows.

A token belongs to an Android app, an iOS app (FCM hands the message to APNs)
or a web app; see :mod:`harness.push.fcm.targets` for what each receives. An
iOS token of a project without an APNs key, or a web token of a project
without web credentials, answers ``THIRD_PARTY_AUTH_ERROR``.

Token lifecycle, after Google's "manage tokens" guide: a token answers
``UNREGISTERED`` once its app is uninstalled or its data cleared (after the
lag :meth:`FcmService.unregister` is given), and an Android token whose app
has not connected for :data:`TOKEN_EXPIRY` (270 days) expires and answers
``UNREGISTERED`` too. Only Android tokens follow the 270-day rule: iOS tokens
live as long as APNs keeps them, web tokens as long as their subscription.
:meth:`FcmService.app_active` records a launch; :meth:`FcmService.stale_tokens`
lists tokens idle for :data:`STALE_AFTER`.

A topic or condition send (:mod:`.topics`) reaches every install of the
project that FCM still serves, whose platform credentials are in place and
whose subscriptions match; a topic nobody follows reaches no device and still
answers 200. What is accepted for an offline device is stored under FCM's
rules (:mod:`harness.push._store`).

Named policies where FCM's documents leave room:

- a token is stale after 30 days without its app connecting ("a month");
- FCM's per-device limit, 240 messages a minute and 5,000 an hour to one
  Android device, is counted as :mod:`.quota` says; change it through
  ``FcmService.device_quota`` (None switches it off);
- ``validate_only`` still checks the token, the package name and the APNs
  priority, but neither the platform credentials nor the quota;
- a project has web credentials and no APNs key unless told otherwise;
- the app of an expired token gets a new token when it becomes active, with
  no topic subscriptions;
- a well-formed token FCM never issued answers ``UNREGISTERED`` (unless
  ``foreign_tokens`` is on);
- an injected fault (:meth:`~harness.push._provider.Provider.fail_next`)
  answers the next authenticated send before its body is read.

Known gaps, for a later issue: the throttling of collapsible messages (a burst
of 20, then one every 3 minutes), topic fan-out limits, the project's per-minute
quota (only through ``fail_next``) and the per-device rate for iOS and web are
not modelled; topic subscriptions are made by model call only, the Instance ID
API that serves them is not emulated; the ``android_v2`` preview and Firebase
Installation ID targets are refused as unknown fields; FCM's lowering of
high-priority messages that show no notification is not modelled.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal, plural, short_token
from harness.push import _store
from harness.push._provider import Install, Provider
from harness.push.fcm import targets
from harness.push.fcm.errors import BadSetup, Rejected, UnknownToken
from harness.push.fcm.quota import DeviceQuota, DeviceRate
from harness.push.fcm.targets import FcmRequest
from harness.push.fcm.topics import valid_topic
from harness.push.notification import FOREIGN, Notification, PushEndpoint, Verdict

PLATFORMS = ("android", "ios", "web")
TOKEN_EXPIRY = timedelta(days=270)
STALE_AFTER = timedelta(days=30)
FAULTS = ("INTERNAL", "QUOTA_EXCEEDED", "UNAVAILABLE")
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"
NOT_FOUND = "Requested entity was not found."
DRY_RUN = "validate_only; nothing sent"
_FAULT_TEXT = {
    "INTERNAL": "Internal error encountered.",
    "UNAVAILABLE": "The service is currently unavailable.",
}
_EXPECTED = (
    "Expected OAuth 2 access token, login cookie or other valid authentication "
    "credential."
)
_MISSING = f"Request is missing required authentication credential. {_EXPECTED}"
_INVALID = f"Request had invalid authentication credentials. {_EXPECTED}"


@dataclass(frozen=True)
class Acceptance:
    """An accepted send: its message name, what reaches which device, a note."""

    name: str
    deliveries: tuple[tuple[Notification, PushEndpoint], ...] = ()
    note: str | None = None


@dataclass
class _Project:
    project_id: str
    sender_id: str
    access_token: str
    apns_key: bool
    web_credentials: bool


@dataclass
class _Install(Install):
    project_id: str = ""
    package: str = ""
    platform: str = "android"
    last_active: datetime = datetime.min
    topics: set[str] = field(default_factory=set)
    replaced_by: str | None = None


class FcmService(Provider):
    """Hold the projects and registration tokens of the emulated FCM."""

    known_faults = tuple(FAULTS)
    setup_error = BadSetup

    def __init__(self, clock: Clock, ids: Ids, journal: Journal) -> None:
        super().__init__("FCM", clock, ids, journal, _store.FCM)
        self._projects: dict[str, _Project] = {}
        self._installs: dict[str, _Install] = {}
        self._rate = DeviceRate()
        self.device_quota: DeviceQuota | None = DeviceQuota()

    def register_project(
        self,
        project_id: str,
        sender_id: str,
        access_token: str,
        *,
        apns_key: bool = False,
        web_credentials: bool = True,
    ) -> None:
        """Create a Firebase project whose sender is authorised by ``access_token``.

        ``apns_key`` says an APNs key was uploaded (needed for iOS tokens) and
        ``web_credentials`` that the web push key pair is in place.
        """
        self._projects[project_id] = _Project(
            project_id, sender_id, access_token, apns_key, web_credentials
        )

    def configure(
        self,
        project_id: str,
        *,
        apns_key: bool | None = None,
        web_credentials: bool | None = None,
    ) -> None:
        """Upload or remove a project's APNs key or web credentials."""
        project = self._registered(project_id)
        if apns_key is not None:
            project.apns_key = apns_key
        if web_credentials is not None:
            project.web_credentials = web_credentials

    def issue_token(
        self,
        project_id: str,
        package: str,
        endpoint: PushEndpoint,
        *,
        platform: str = "android",
    ) -> str:
        """Register an app install with a project and return its token.

        ``package`` is the Android package name, iOS bundle id or web origin;
        ``platform`` is ``android``, ``ios`` or ``web``. The token has FCM's
        shape: a 22-character installation id, a colon and an ``APA91b`` blob.
        """
        self._registered(project_id)
        if platform not in PLATFORMS:
            raise BadSetup(
                f"FCM issues tokens to {', '.join(PLATFORMS)} apps, not to "
                f"{platform!r}; pass one of those as platform."
            )
        fid = self._ids.choice("cdef", 1) + self._ids.choice(TOKEN_ALPHABET, 21)
        token = f"{fid}:APA91b{self._ids.choice(TOKEN_ALPHABET, 134)}"
        self._installs[token] = _Install(
            token, endpoint, None, timedelta(0), project_id, package, platform,
            self._clock.now(),
        )  # fmt: skip
        return token

    def unregister(self, token: str, lag: timedelta = timedelta(0)) -> None:
        """Uninstall the app or clear its data; FCM answers UNREGISTERED after ``lag``.

        Until then FCM keeps answering 200 and the message reaches nobody.
        """
        self._gone(self._known(token), lag)

    def app_active(self, token: str) -> str:
        """Record that the app behind ``token`` connected now; return its token.

        An Android token idle for 270 days has expired: the app then gets a new
        token (``onNewToken``), which is returned, and the old one stays dead.
        """
        install = self._known(token)
        if install.replaced_by is not None:
            return self.app_active(install.replaced_by)
        if install.gone_at is not None:
            raise BadSetup(
                f"The app behind FCM token {short_token(token)} was uninstalled or "
                f"its data cleared at {install.gone_at}; a reinstalled app asks "
                "issue_token() for a new token."
            )
        now = self._clock.now()
        if self._expired_at(install, now) is None:
            install.last_active = now
            return token
        install.replaced_by = self.issue_token(
            install.project_id, install.package, install.endpoint,
            platform=install.platform,
        )  # fmt: skip
        return install.replaced_by

    def stale_tokens(self, project_id: str | None = None) -> list[str]:
        """Return tokens FCM still serves whose app has been idle for a month."""
        now = self._clock.now()
        return [
            token
            for token, install in self._installs.items()
            if project_id in (None, install.project_id)
            and self._serves(install, now)
            and now - install.last_active >= STALE_AFTER
        ]

    def subscribe(self, token: str, topic: str) -> None:
        """Subscribe the app behind ``token`` to ``topic``."""
        if not valid_topic(topic):
            raise BadSetup(
                f"{topic!r} is not an FCM topic name; use letters, digits and "
                "-_.~% only, without the /topics/ prefix."
            )
        self._known(token).topics.add(topic)

    def unsubscribe(self, token: str, topic: str) -> None:
        """Unsubscribe the app behind ``token`` from ``topic``."""
        self._known(token).topics.discard(topic)

    def authenticate(self, project: str, access_token: str | None) -> None:
        """Check that ``access_token`` may send for ``project`` (id or number)."""
        owner = next(
            (p for p in self._projects.values() if p.access_token == access_token),
            None,
        )
        if access_token is None or owner is None:
            raise Rejected(
                "UNAUTHENTICATED",
                _MISSING if access_token is None else _INVALID,
                explanation="The request has no valid OAuth 2 access token; send "
                "'Authorization: Bearer <token>' with the project's token.",
            )
        if project not in (owner.project_id, owner.sender_id):
            raise Rejected(
                "PERMISSION_DENIED",
                "Permission 'cloudmessaging.messages.create' denied on resource "
                f"'//cloudresourcemanager.googleapis.com/projects/{project}' (or "
                "it may not exist).",
                explanation=f"The access token belongs to project "
                f"{owner.project_id}, not to projects/{project}.",
            )

    def raise_fault(self, project: str) -> None:
        """Raise the next fault queued by ``fail_next``, if there is one."""
        fault = self._next_fault()
        if fault is None:
            return
        explanation = f"{fault} injected by fail_next()"
        if fault != "QUOTA_EXCEEDED":
            raise Rejected(fault, _FAULT_TEXT[fault], explanation=explanation)
        number = self._project(project).sender_id
        raise Rejected(
            fault,
            "Quota exceeded for quota metric 'Send requests' and limit 'Send "
            "requests per minute' of service 'fcm.googleapis.com' for consumer "
            f"'project_number:{number}'.",
            explanation=explanation,
            quota=(f"project_number:{number}", "The project's send quota is spent."),
        )

    def send(self, request: FcmRequest) -> Acceptance:
        """Accept ``request`` or raise :class:`Rejected` with FCM's error code."""
        project = self._project(request.project)
        if request.target != "token":
            return self._publish(project, request)
        if self.foreign_tokens and request.address not in self._installs:
            return Acceptance(self._name(project, request), note=FOREIGN)
        install = self._install(project, request.address)
        targets.check(install.platform, install.package, request)
        if request.validate_only:
            return Acceptance(self._name(project, request), note=DRY_RUN)
        self._check_credentials(project, install)
        self._count(install)
        name = self._name(project, request)
        notification = targets.build(install.platform, request, self._clock.now())
        delivery = ((notification, install.endpoint),)
        if install.gone_at is not None:
            # The phone is still there; it tells that the install went.
            note = "app uninstalled; nothing reaches the app"
            return Acceptance(name, delivery, note)
        return Acceptance(name, delivery)

    def settle(
        self,
        verdict: Verdict,
        *,
        delivery_id: str | None,
        detail: str | None = None,
        acceptance: Acceptance | None = None,
    ) -> None:
        """Record ``verdict``, then hand an accepted message to its devices."""
        note = acceptance.note if acceptance else None
        self._ledger.record(verdict, delivery_id=delivery_id, detail=detail, note=note)
        for notification, endpoint in acceptance.deliveries if acceptance else ():
            self._hand_over(notification, endpoint)

    def _publish(self, project: _Project, request: FcmRequest) -> Acceptance:
        name = self._name(project, request)
        if request.validate_only:
            return Acceptance(name, note=DRY_RUN)
        now = self._clock.now()
        reached = [
            install
            for install in self._installs.values()
            if install.project_id == project.project_id
            and self._serves(install, now)
            and install.gone_at is None
            and self._authorised(project, install)
            and targets.reaches(request, install.topics)
        ]
        deliveries = tuple(
            (targets.build(i.platform, request, now, i.token), i.endpoint)
            for i in reached
        )
        what = f"{request.target} {request.address!r}"
        note = f"{what} reached {plural(len(reached), 'subscribed device')}"
        return Acceptance(name, deliveries, note)

    def _name(self, project: _Project, request: FcmRequest) -> str:
        prefix = f"projects/{project.project_id}/messages/"
        if request.validate_only:
            return prefix + "fake_message_id"
        if request.target != "token":
            return (
                prefix
                + self._ids.choice("123456789", 1)
                + self._ids.choice(string.digits, 18)
            )
        micros = int(self._clock.now().timestamp() * 1_000_000)
        return f"{prefix}0:{micros}%{self._ids.hex(8)}"

    def _check_credentials(self, project: _Project, install: _Install) -> None:
        if self._authorised(project, install):
            return
        if install.platform == "ios":
            missing, switch = "APNs key for its iOS app", "apns_key=True"
        else:
            missing, switch = "web push credentials", "web_credentials=True"
        raise Rejected(
            "THIRD_PARTY_AUTH_ERROR",
            "Auth error from APNS or Web Push Service",
            explanation=f"Project {project.project_id} has no {missing}; call "
            f"FcmService.configure({project.project_id!r}, {switch}).",
        )

    def _authorised(self, project: _Project, install: _Install) -> bool:
        if install.platform == "ios":
            return project.apns_key
        return install.platform != "web" or project.web_credentials

    def _count(self, install: _Install) -> None:
        quota = self.device_quota
        if quota is None or install.platform != "android":
            return
        now = self._clock.now()
        rule = self._rate.exceeded(install.token, quota, now)
        if rule is not None:
            raise Rejected(
                "QUOTA_EXCEEDED",
                "Device message rate exceeded.",
                explanation=f"FCM takes {rule} for one Android device; wait and "
                "retry with exponential backoff.",
                quota=(f"token:{install.token}", f"Device message rate: {rule}."),
            )
        self._rate.record(install.token, now)

    def _project(self, project: str) -> _Project:
        for candidate in self._projects.values():
            if project in (candidate.project_id, candidate.sender_id):
                return candidate
        raise Rejected(
            "NOT_FOUND",
            NOT_FOUND,
            explanation=f"Project {project!r} is not registered with the emulator.",
        )

    def _registered(self, project_id: str) -> _Project:
        project = self._projects.get(project_id)
        if project is None:
            known = ", ".join(sorted(self._projects)) or "none"
            raise BadSetup(
                f"FCM project {project_id!r} is not registered (known: {known}); "
                "call register_project() first."
            )
        return project

    def _known(self, token: str) -> _Install:
        install = self._installs.get(token)
        if install is None:
            raise UnknownToken(token)
        return install

    def _install(self, project: _Project, token: str) -> _Install:
        install = self._installs.get(token)
        if install is None:
            raise Rejected(
                "UNREGISTERED",
                NOT_FOUND,
                explanation="FCM never issued this token.",
            )
        if install.project_id != project.project_id:
            raise Rejected(
                "SENDER_ID_MISMATCH",
                "SenderId mismatch",
                explanation=f"The token was issued for project {install.project_id}, "
                f"not for {project.project_id}; send with that project's "
                "credentials.",
            )
        now = self._clock.now()
        gone = install.dead_since(now)
        if gone is not None:
            raise Rejected(
                "UNREGISTERED",
                NOT_FOUND,
                explanation=f"The app was uninstalled or its data cleared at {gone}.",
                unregistered_at=gone,
            )
        expired = self._expired_at(install, now)
        if expired is not None:
            raise Rejected(
                "UNREGISTERED",
                NOT_FOUND,
                explanation=f"The app last connected at {install.last_active}; FCM "
                f"expired the Android token at {expired}, after 270 days idle. "
                "The app gets a new token when it next becomes active.",
                unregistered_at=expired,
            )
        return install

    def _serves(self, install: _Install, now: datetime) -> bool:
        """Tell whether FCM still answers for ``install`` (not UNREGISTERED)."""
        return (
            install.dead_since(now) is None and self._expired_at(install, now) is None
        )

    def _expired_at(self, install: _Install, now: datetime) -> datetime | None:
        expiry = install.last_active + TOKEN_EXPIRY
        if install.platform == "android" and now >= expiry:
            return expiry
        return None
