"""The emulated APNs: signing keys, device tokens and the rules of a send.

The wire layer checks the request's syntax (headers, path) in the order Pushy's
``ValidatingPushNotificationHandler`` does; :meth:`ApnsService.send` continues
with the checks that need state: the token registry, uninstalls, the topic,
the provider token (JWT) and the payload size.

Named policy where Apple says nothing: a provider token whose ``iat`` lies
more than :data:`PROVIDER_TOKEN_SKEW` ahead of the clock is
``InvalidProviderToken``; Pushy's mock checks only the past.

Known gaps, for a later issue: one connection is not modelled, so
``TooManyProviderTokenUpdates`` and key/team binding per connection never
occur; ``ExpiredToken``, ``TooManyRequests`` and ``TopicDisallowed`` are never
answered; notifications reach the endpoint at once (no storage while the
device is offline, no coalescing by collapse id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.push import _numbers, _store
from harness.push._provider import Install, Provider
from harness.push.apns.errors import BadSetup, Rejected, UnknownToken
from harness.push.notification import FOREIGN, Notification, PushEndpoint, Verdict

ENVIRONMENTS = ("sandbox", "production")
TOPIC_SUFFIXES = (
    ".voip",
    ".complication",
    ".pushkit.fileprovider",
    ".location-query",
    ".push-type.liveactivity",
)
PROVIDER_TOKEN_LIFETIME = timedelta(hours=1)
PROVIDER_TOKEN_SKEW = timedelta(minutes=5)
MAX_PAYLOAD = {"voip": 5120}
DEFAULT_MAX_PAYLOAD = 4096
# Time claims are checked against the harness clock, never the wall clock.
_UNTIMED: jwt.types.Options = {
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "require": ["iat"],
}


@dataclass(frozen=True)
class ApnsRequest:
    """A notification request, parsed from the wire."""

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


@dataclass(frozen=True)
class Acceptance:
    """An accepted request; ``endpoint`` is None when nothing reaches a device."""

    apns_id: str
    notification: Notification
    endpoint: PushEndpoint | None
    note: str | None = None


@dataclass(frozen=True)
class _Key:
    key_id: str
    team_id: str
    public_key: ec.EllipticCurvePublicKey
    environment: str


@dataclass
class _Device(Install):
    bundle_id: str = ""
    environment: str = ""


class ApnsService(Provider):
    """Hold the signing keys and device tokens of the emulated APNs."""

    def __init__(self, clock: Clock, ids: Ids, journal: Journal) -> None:
        super().__init__("APNs", clock, ids, journal, _store.APNS)
        self._keys: dict[str, _Key] = {}
        self._devices: dict[str, _Device] = {}

    def register_key(
        self, key_id: str, team_id: str, public_key_pem: str, environment: str = "both"
    ) -> None:
        """Trust a team's ES256 signing key for sandbox, production or both."""
        if environment not in (*ENVIRONMENTS, "both"):
            raise BadSetup(
                f"APNs key {key_id} has environment {environment!r}; use "
                "'sandbox', 'production' or 'both'."
            )
        public_key = load_pem_public_key(public_key_pem.encode())
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise BadSetup(
                f"APNs key {key_id} is not an elliptic-curve key; APNs signing "
                "keys are P-256 keys used with ES256."
            )
        self._keys[key_id] = _Key(key_id, team_id, public_key, environment)

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
        device = self._devices.get(token.lower())
        if device is None:
            raise UnknownToken(token)
        self._gone(device, lag)

    def new_apns_id(self) -> str:
        """Return a fresh apns-id."""
        return self._ids.uuid4()

    def send(self, request: ApnsRequest) -> Acceptance:
        """Accept ``request`` or raise :class:`Rejected` with Apple's reason."""
        if self.foreign_tokens and request.token not in self._devices:
            self._authenticate(request.authorization, request.environment)
            self._check_payload(request)
            apns_id = request.apns_id or self.new_apns_id()
            return Acceptance(apns_id, self._notification(request), None, FOREIGN)
        device = self._device(request)
        self._check_topic(device, request.topic)
        self._authenticate(request.authorization, request.environment)
        self._check_payload(request)
        apns_id = request.apns_id or self.new_apns_id()
        notification = self._notification(request)
        if device.gone_at is not None:
            note = "app uninstalled; nothing reaches the device"
            return Acceptance(apns_id, notification, None, note)
        return Acceptance(apns_id, notification, device.endpoint)

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
            raise Rejected("Unregistered", detail, unregistered_at=gone)
        return device

    def _check_topic(self, device: _Device, topic: str) -> None:
        bundle = topic
        for suffix in TOPIC_SUFFIXES:
            bundle = bundle.removesuffix(suffix)
        if bundle != device.bundle_id:
            raise Rejected(
                "DeviceTokenNotForTopic",
                f"token {device.token} belongs to {device.bundle_id}, not to topic "
                f"{topic}. Use the app's bundle id as apns-topic.",
            )

    def _authenticate(self, authorization: str | None, environment: str) -> None:
        if authorization is None:
            raise Rejected(
                "MissingProviderToken",
                "no 'authorization: bearer <JWT>' header; sign a provider token "
                "with the team's APNs key.",
            )
        key = self._verify(authorization)
        if key.environment not in (environment, "both"):
            raise Rejected(
                "BadEnvironmentKeyInToken",
                f"key {key.key_id} is restricted to {key.environment}; it cannot "
                f"sign for {environment}.",
            )

    def _verify(self, token: str) -> _Key:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys[str(kid)]
            claims = jwt.decode(
                token,
                key.public_key,
                algorithms=["ES256"],
                options=_UNTIMED,
            )
        except (jwt.PyJWTError, KeyError) as error:
            raise Rejected(
                "InvalidProviderToken",
                f"the provider token does not verify ({type(error).__name__}: "
                f"{error}); sign ES256 with a registered key id in 'kid'.",
            ) from error
        if claims.get("iss") != key.team_id:
            raise Rejected(
                "InvalidProviderToken",
                f"the token's iss {claims.get('iss')!r} is not team {key.team_id} "
                f"that owns key {key.key_id}.",
            )
        self._check_issued(claims["iat"])
        return key

    def _check_issued(self, iat: object) -> None:
        issued = _numbers.seconds(iat)
        now = self._clock.now()
        if issued is None:
            raise Rejected(
                "InvalidProviderToken",
                f"the token's iat {iat!r} is not a Unix time in seconds; sign "
                "with the current time.",
            )
        if issued > (now + PROVIDER_TOKEN_SKEW).timestamp():
            raise Rejected(
                "InvalidProviderToken",
                f"the token's iat {iat!r} lies more than {PROVIDER_TOKEN_SKEW} "
                f"ahead of {now}; sign with the current time.",
            )
        if issued < (now - PROVIDER_TOKEN_LIFETIME).timestamp():
            raise Rejected(
                "ExpiredProviderToken",
                f"the token's iat {iat!r} is over an hour before {now}; sign a "
                "new provider token at least every hour.",
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
