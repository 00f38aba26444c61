"""The emulated APNs: device tokens and the rules of a send.

The wire layer checks the request's syntax (headers, path) in the order Pushy's
``ValidatingPushNotificationHandler`` does; :meth:`ApnsService.send` continues
with the checks that need state: the token registry, uninstalls and expired
tokens, the topic, the provider token and its connection (:mod:`.auth`), the
payload size and the rate of pushes to one device. A fault queued with
:meth:`~harness.push._provider.Provider.fail_next` (one of :data:`FAULTS`)
answers before any check.

Named policies where Apple says nothing:

- a topic of the right app whose push-type suffix does not fit
  ``apns-push-type`` (``.voip`` with ``alert``, a ``voip`` push without
  ``.voip``) is ``TopicDisallowed``; another app's topic is
  ``DeviceTokenNotForTopic``;
- more than :data:`DEVICE_BURST` accepted pushes to one device token within
  :data:`DEVICE_WINDOW` is ``429 TooManyRequests`` (``device_burst`` and
  ``device_window`` change it per service);
- :meth:`ApnsService.expire_token` makes a token answer ``410 ExpiredToken``
  with the moment it expired as ``timestamp``, since Apple sends a timestamp
  with every 410;
- ``apns-unique-id`` comes with every accepted push on the sandbox host, and
  never on production, as Apple's header table says.

Known gaps: certificate-based connections are not emulated, so
``BadCertificate`` and ``BadCertificateEnvironment`` never occur; related
topic keys and bundle ids added to a team after a connection's first push are
not modelled; ``IdleTimeout``, ``Forbidden``, ``BadTopic`` and the
``BadEnvironmentKeyIdInToken`` spelling are never answered (the emulator says
``BadEnvironmentKeyInToken``, as servers were seen to); no ``GOAWAY`` carries
a reason (``Shutdown`` is a 503 on the stream); a connection may open many
streams before its first valid token; a foreign token's topic is not checked;
storage keeps one notification per app whatever its collapse id.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.push import _store
from harness.push._provider import Install, Provider
from harness.push.apns.auth import ENVIRONMENTS, Authenticator
from harness.push.apns.errors import BadSetup, Rejected, UnknownToken
from harness.push.notification import FOREIGN, Notification, PushEndpoint, Verdict

PUSH_TYPE_SUFFIXES = {
    "voip": ".voip",
    "complication": ".complication",
    "fileprovider": ".pushkit.fileprovider",
    "location": ".location-query",
    "liveactivity": ".push-type.liveactivity",
    "pushtotalk": ".voip-ptt",
}
TOPIC_SUFFIXES = tuple(PUSH_TYPE_SUFFIXES.values())
MAX_PAYLOAD = {"voip": 5120}
DEFAULT_MAX_PAYLOAD = 4096
FAULTS = ("InternalServerError", "ServiceUnavailable", "Shutdown")
DEVICE_BURST = 100
DEVICE_WINDOW = timedelta(minutes=1)
FOREIGN_TOKEN_DIGITS = (64, 200)  # hex digits a token from a real device may have


@dataclass(frozen=True)
class ApnsRequest:
    """A notification request, parsed from the wire.

    ``connection`` names the client connection it came on, None in process.
    """

    environment: str
    token: str
    topic: str
    apns_id: str | None
    push_type: str
    priority: int
    collapse_id: str | None
    expiration: int | None
    authorization: str | None
    payload: bytes
    title: str | None
    body: str | None
    data: dict[str, str]
    connection: str | None = None


@dataclass(frozen=True)
class Acceptance:
    """An accepted request; ``endpoint`` is None when nothing reaches a device.

    ``unique_id`` is the ``apns-unique-id`` of a sandbox push.
    """

    apns_id: str
    notification: Notification
    endpoint: PushEndpoint | None
    note: str | None = None
    unique_id: str | None = None


@dataclass
class _Device(Install):
    bundle_id: str = ""
    environment: str = ""
    expired_at: datetime | None = None


class ApnsService(Provider):
    """Hold the signing keys and device tokens of the emulated APNs."""

    known_faults = tuple(FAULTS)
    setup_error = BadSetup

    def __init__(self, clock: Clock, ids: Ids, journal: Journal) -> None:
        super().__init__("APNs", clock, ids, journal, _store.APNS)
        self._auth = Authenticator(clock)
        self._devices: dict[str, _Device] = {}
        self._recent: dict[str, deque[datetime]] = {}
        self._unique_ids = ids.child("unique-id")
        self.device_burst = DEVICE_BURST
        self.device_window = DEVICE_WINDOW

    def register_key(
        self,
        key_id: str,
        team_id: str,
        public_key_pem: str,
        environment: str = "both",
        topics: Iterable[str] | None = None,
    ) -> None:
        """Trust a team's ES256 signing key for sandbox, production or both.

        ``topics`` makes it a topic-specific key for those bundle ids; None
        (the default) is a team-scoped key.
        """
        self._auth.register(key_id, team_id, public_key_pem, environment, topics)

    def issue_token(
        self, bundle_id: str, environment: str, endpoint: PushEndpoint
    ) -> str:
        """Register an app install and return its device token (64 hex digits)."""
        if environment not in ENVIRONMENTS:
            raise BadSetup(
                f"APNs has no environment {environment!r}; a build registers with "
                "'sandbox' (development) or 'production'."
            )
        token = self._ids.hex(32)
        self._devices[token] = _Device(
            token, endpoint, None, timedelta(0), bundle_id, environment
        )
        return token

    def unregister(self, token: str, lag: timedelta = timedelta(0)) -> None:
        """Uninstall the app behind ``token``; APNs answers 410 after ``lag``.

        Until then APNs keeps answering 200 and the notification reaches nobody.
        """
        self._known(token)
        self._gone(self._devices[token.lower()], lag)

    def expire_token(self, token: str) -> None:
        """Expire ``token`` now: from here on APNs answers 410 ExpiredToken."""
        self._known(token)
        self._devices[token.lower()].expired_at = self._clock.now()

    def new_apns_id(self) -> str:
        """Return a fresh apns-id."""
        return self._ids.uuid4()

    def take_fault(self) -> None:
        """Raise the next fault queued with ``fail_next`` as a :class:`Rejected`."""
        fault = self._next_fault()
        if fault is not None:
            raise Rejected(fault, f"{fault} was injected with fail_next().")

    def send(self, request: ApnsRequest) -> Acceptance:
        """Accept ``request`` or raise :class:`Rejected` with Apple's reason."""
        if self.foreign_tokens and request.token not in self._devices:
            _check_foreign_length(request.token)
            self._authenticate(request, bundle_of(request.topic))
            self._check_payload(request)
            self._count(request.token)
            return self._accept(request, None, FOREIGN)
        device = self._device(request)
        self._check_topic(device, request)
        self._authenticate(request, device.bundle_id)
        self._check_payload(request)
        self._count(request.token)
        if device.gone_at is not None:
            # The phone is still there; it tells that the install went.
            note = "app uninstalled; nothing reaches the app"
            return self._accept(request, device.endpoint, note)
        return self._accept(request, device.endpoint)

    def settle(
        self,
        verdict: Verdict,
        *,
        delivery_id: str | None,
        detail: str | None = None,
        acceptance: Acceptance | None = None,
    ) -> None:
        """Record ``verdict``, then hand an accepted notification to its device."""
        note = acceptance.note if acceptance else None
        self._ledger.record(verdict, delivery_id=delivery_id, detail=detail, note=note)
        if acceptance is not None and acceptance.endpoint is not None:
            self._hand_over(acceptance.notification, acceptance.endpoint)

    def _known(self, token: str) -> None:
        if token.lower() not in self._devices:
            raise UnknownToken(token)

    def _accept(
        self,
        request: ApnsRequest,
        endpoint: PushEndpoint | None,
        note: str | None = None,
    ) -> Acceptance:
        apns_id = request.apns_id or self.new_apns_id()
        unique = self._unique_ids.uuid4() if request.environment == "sandbox" else None
        notification = self._notification(request)
        return Acceptance(apns_id, notification, endpoint, note, unique)

    def _device(self, request: ApnsRequest) -> _Device:
        device = self._devices.get(request.token)
        if device is None or device.environment != request.environment:
            where = f"issued for {device.environment}" if device else "never issued"
            raise Rejected(
                "BadDeviceToken",
                f"token {request.token} was {where}, but was sent to the "
                f"{request.environment} host. Send it to the host of the "
                "environment the app was built for.",
            )
        gone = device.dead_since(self._clock.now())
        if gone is not None:
            detail = f"the app behind token {request.token} was uninstalled at {gone}."
            raise Rejected("Unregistered", detail, dead_since=gone)
        if device.expired_at is not None:
            detail = f"token {request.token} expired at {device.expired_at}."
            raise Rejected("ExpiredToken", detail, dead_since=device.expired_at)
        return device

    def _check_topic(self, device: _Device, request: ApnsRequest) -> None:
        topic, push_type = request.topic, request.push_type
        wanted = device.bundle_id + PUSH_TYPE_SUFFIXES.get(push_type, "")
        if topic == wanted:
            return
        if device.bundle_id in (topic, bundle_of(topic)):
            raise Rejected(
                "TopicDisallowed",
                f"topic {topic} does not fit push type {push_type}; send "
                f"{push_type} pushes for this app to topic {wanted}.",
            )
        raise Rejected(
            "DeviceTokenNotForTopic",
            f"token {device.token} belongs to {device.bundle_id}, not to topic "
            f"{topic}. Use the app's bundle id as apns-topic.",
        )

    def _authenticate(self, request: ApnsRequest, bundle_id: str) -> None:
        self._auth.check(
            request.authorization, request.environment, bundle_id, request.connection
        )

    def _check_payload(self, request: ApnsRequest) -> None:
        if not request.payload:
            raise Rejected("PayloadEmpty", "the request has no payload.")
        limit = MAX_PAYLOAD.get(request.push_type, DEFAULT_MAX_PAYLOAD)
        if len(request.payload) > limit:
            raise Rejected(
                "PayloadTooLarge",
                f"the payload has {len(request.payload)} bytes; {request.push_type} "
                f"notifications may carry at most {limit}.",
            )

    def _count(self, token: str) -> None:
        now = self._clock.now()
        recent = self._recent.setdefault(token, deque())
        while recent and recent[0] <= now - self.device_window:
            recent.popleft()
        if len(recent) >= self.device_burst:
            raise Rejected(
                "TooManyRequests",
                f"token {token} got {len(recent)} pushes within "
                f"{self.device_window}, the most APNs takes for one device; wait "
                "and retry, or send fewer pushes to one device.",
            )
        recent.append(now)

    def _notification(self, request: ApnsRequest) -> Notification:
        now = self._clock.now()
        expires_at = None
        if request.expiration is not None:
            expires_at = now
            if request.expiration > 0:
                expires_at = datetime.fromtimestamp(request.expiration, UTC)
        return Notification(
            service="apns",
            token=request.token,
            title=request.title,
            body=request.body,
            data=request.data,
            delivery_id=request.data.get("CIO-Delivery-ID"),
            priority="high" if request.priority == 10 else "normal",
            push_type=request.push_type,
            collapse_id=request.collapse_id,
            expires_at=expires_at,
            sent_at=now,
            raw=request.payload,
        )


def bundle_of(topic: str) -> str:
    """Return the bundle id of ``topic``, without a push-type suffix."""
    for suffix in TOPIC_SUFFIXES:
        if topic.endswith(suffix):
            return topic.removesuffix(suffix)
    return topic


def _check_foreign_length(token: str) -> None:
    """Refuse a token no real device could hold (a named policy).

    Apple calls device tokens variable-length; physical devices hand out 32
    bytes and simulators and Live Activities longer ones, so a token the
    emulator never issued must have 64 to 200 hex digits.
    """
    if not FOREIGN_TOKEN_DIGITS[0] <= len(token) <= FOREIGN_TOKEN_DIGITS[1]:
        low, high = FOREIGN_TOKEN_DIGITS
        raise Rejected(
            "BadDeviceToken",
            f"token has {len(token)} hex digits; a device token has {low} to "
            f"{high}. Send the token the app got from registerForRemoteNotifications.",
        )
