"""The emulated FCM HTTP v1 API: projects, registration tokens, send rules.

The wire layer checks the message's shape; :class:`FcmService` checks what
needs state: the OAuth access token, the project a token belongs to and
whether the app is still installed.

Known gaps, for a later issue: topic and condition sends are accepted but reach
no device (topic subscriptions are not modelled); the 270-day expiry of idle
Android tokens, quotas (``QUOTA_EXCEEDED``), ``THIRD_PARTY_AUTH_ERROR`` for iOS
and web targets, Doze batching and storage while the device is offline are not
modelled; an accepted message reaches its endpoint at once.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import timedelta

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.push import _store
from harness.push._provider import Install, Provider
from harness.push.fcm.errors import BadSetup, Rejected, UnknownToken
from harness.push.notification import FOREIGN, Notification, PushEndpoint, Verdict

DEFAULT_TTL = timedelta(weeks=4)
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"


@dataclass(frozen=True)
class FcmRequest:
    """A ``messages:send`` call, parsed from the wire.

    ``target`` is ``token``, ``topic`` or ``condition`` and ``address`` its
    value. ``has_notification`` tells a notification message from a data-only
    one. ``raw`` is the message as the device receives it.
    """

    project: str
    validate_only: bool
    target: str
    address: str
    has_notification: bool
    title: str | None
    body: str | None
    data: dict[str, str]
    priority: str | None
    ttl: timedelta | None
    collapse_key: str | None
    raw: bytes


@dataclass(frozen=True)
class Acceptance:
    """An accepted send; ``endpoint`` is None when nothing reaches a device."""

    name: str
    notification: Notification | None
    endpoint: PushEndpoint | None
    note: str | None = None


@dataclass(frozen=True)
class _Project:
    project_id: str
    sender_id: str
    access_token: str


@dataclass
class _Install(Install):
    project_id: str = ""
    package: str = ""


class FcmService(Provider):
    """Hold the projects and registration tokens of the emulated FCM."""

    def __init__(self, clock: Clock, ids: Ids, journal: Journal) -> None:
        super().__init__("FCM", clock, ids, journal, _store.FCM)
        self._projects: dict[str, _Project] = {}
        self._installs: dict[str, _Install] = {}

    def register_project(
        self, project_id: str, sender_id: str, access_token: str
    ) -> None:
        """Create a Firebase project whose sender is authorised by ``access_token``."""
        self._projects[project_id] = _Project(project_id, sender_id, access_token)

    def issue_token(self, project_id: str, package: str, endpoint: PushEndpoint) -> str:
        """Register an app install with a project and return its token.

        The token has FCM's shape: a 22-character installation id, a colon and
        an ``APA91b`` blob.
        """
        if project_id not in self._projects:
            known = ", ".join(sorted(self._projects)) or "none"
            raise BadSetup(
                f"FCM project {project_id!r} is not registered (known: {known}); "
                "call register_project() first."
            )
        fid = self._ids.choice("cdef", 1) + self._ids.choice(TOKEN_ALPHABET, 21)
        token = f"{fid}:APA91b{self._ids.choice(TOKEN_ALPHABET, 134)}"
        self._installs[token] = _Install(
            token, endpoint, None, timedelta(0), project_id, package
        )
        return token

    def unregister(self, token: str, lag: timedelta = timedelta(0)) -> None:
        """Uninstall the app or clear its data; FCM answers UNREGISTERED after ``lag``.

        Until then FCM keeps answering 200 and the message reaches nobody.
        """
        install = self._installs.get(token)
        if install is None:
            raise UnknownToken(token)
        self._gone(install, lag)

    def authenticate(self, project: str, access_token: str | None) -> None:
        """Check that ``access_token`` may send for ``project`` (id or number)."""
        owner = next(
            (p for p in self._projects.values() if p.access_token == access_token),
            None,
        )
        if access_token is None or owner is None:
            raise Rejected(
                "UNAUTHENTICATED",
                "The request has no valid OAuth 2 access token; send "
                "'Authorization: Bearer <token>' with the project's token.",
            )
        if project not in (owner.project_id, owner.sender_id):
            raise Rejected(
                "PERMISSION_DENIED",
                f"The access token belongs to project {owner.project_id}, not to "
                f"projects/{project}.",
            )

    def send(self, request: FcmRequest) -> Acceptance:
        """Accept ``request`` or raise :class:`Rejected` with FCM's error code."""
        project = self._project(request.project)
        install = None
        foreign = (
            request.target == "token"
            and self.foreign_tokens
            and request.address not in self._installs
        )
        if request.target == "token" and not foreign:
            install = self._install(project, request.address)
        if request.validate_only:
            name = f"projects/{project.project_id}/messages/fake_message_id"
            return Acceptance(name, None, None, "validate_only; nothing sent")
        micros = int(self._clock.now().timestamp() * 1_000_000)
        name = f"projects/{project.project_id}/messages/0:{micros}%{self._ids.hex(8)}"
        notification = self._notification(request)
        if install is None:
            note = (
                FOREIGN
                if foreign
                else (f"{request.target} sends reach no device in the emulator")
            )
            return Acceptance(name, notification, None, note)
        if install.gone_at is not None:
            note = "app uninstalled; nothing reaches the device"
            return Acceptance(name, notification, None, note)
        return Acceptance(name, notification, install.endpoint)

    def _project(self, project: str) -> _Project:
        for candidate in self._projects.values():
            if project in (candidate.project_id, candidate.sender_id):
                return candidate
        raise Rejected("NOT_FOUND", f"Project {project!r} does not exist.")

    def settle(
        self,
        verdict: Verdict,
        *,
        delivery_id: str | None,
        detail: str | None = None,
        acceptance: Acceptance | None = None,
    ) -> None:
        """Record ``verdict``, then hand an accepted message to its device."""
        note = acceptance.note if acceptance else None
        self._ledger.record(verdict, delivery_id=delivery_id, detail=detail, note=note)
        if acceptance and acceptance.endpoint and acceptance.notification:
            self._hand_over(acceptance.notification, acceptance.endpoint)

    def _install(self, project: _Project, token: str) -> _Install:
        install = self._installs.get(token)
        if install is None:
            raise Rejected(
                "UNREGISTERED",
                "Requested entity was not found: FCM never issued this token.",
            )
        if install.project_id != project.project_id:
            raise Rejected(
                "SENDER_ID_MISMATCH",
                f"The token was issued for project {install.project_id}, not for "
                f"{project.project_id}; send with that project's credentials.",
            )
        gone = install.dead_since(self._clock.now())
        if gone is not None:
            raise Rejected(
                "UNREGISTERED",
                f"Requested entity was not found: the app was uninstalled or its "
                f"data cleared at {gone}.",
                unregistered_at=gone,
            )
        return install

    def _notification(self, request: FcmRequest) -> Notification:
        now = self._clock.now()
        ttl = DEFAULT_TTL if request.ttl is None else min(request.ttl, DEFAULT_TTL)
        priority = request.priority or ("HIGH" if request.has_notification else "")
        return Notification(
            service="fcm",
            token=request.address,
            title=request.title,
            body=request.body,
            data=request.data,
            delivery_id=request.data.get("CIO-Delivery-ID"),
            priority="high" if priority == "HIGH" else "normal",
            push_type="notification" if request.has_notification else "data",
            collapse_id=request.collapse_key,
            expires_at=now + ttl,
            sent_at=now,
            raw=request.raw,
        )
