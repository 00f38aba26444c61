"""The emulated web push services: subscriptions and the VAPID rules of a push.

One service model stands for every browser vendor's push service; the origin
of a subscription says which one (Chrome's on fcm.googleapis.com, Safari's on
web.push.apple.com, Firefox's autopush). The service never decrypts: it hands
the encrypted body to the browser, which owns the private key.

Known gaps, for a later issue: ``Prefer: respond-async`` (202 and receipts),
replacement of undelivered messages by Topic, TTL expiry while the browser is
offline, 429 rate limits, the legacy ``aesgcm`` encoding and the draft
``WebPush`` authorization scheme are not modelled.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

import jwt

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.push import _b64, _numbers, _store
from harness.push._provider import Provider
from harness.push.notification import Notification, PushEndpoint, Verdict
from harness.push.webpush.errors import BadSetup, Rejected, UnknownSubscription

ORIGINS = {
    "https://fcm.googleapis.com": "/wp/",
    "https://web.push.apple.com": "/",
    "https://updates.push.services.mozilla.com": "/wpush/v2/",
}
MAX_TTL = 2_419_200
MAX_VAPID_LIFETIME = timedelta(hours=24)
_ALPHABET = string.ascii_letters + string.digits + "-_"
# Time claims are checked against the harness clock, never the wall clock.
_UNTIMED: jwt.types.Options = {
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "require": ["exp"],
}


@dataclass(frozen=True)
class VapidAuth:
    """The Authorization header, split into its scheme, token ``t`` and key ``k``."""

    scheme: str
    token: str | None
    key: str | None


@dataclass(frozen=True)
class WebPushRequest:
    """A push message, parsed from the wire; ``subscription`` is the path's id."""

    origin: str
    subscription: str
    ttl: int
    urgency: str
    topic: str | None
    body: bytes
    authorization: VapidAuth | None


@dataclass(frozen=True)
class Acceptance:
    """An accepted push message, with the TTL the service applies."""

    location: str
    ttl: int
    notification: Notification
    endpoint: PushEndpoint


@dataclass
class _Subscription:
    url: str
    origin: str
    server_key: bytes
    endpoint: PushEndpoint
    unsubscribed_at: datetime | None = None


class WebPushService(Provider):
    """Hold the push subscriptions browsers made with the emulated services."""

    def __init__(self, clock: Clock, ids: Ids, journal: Journal) -> None:
        super().__init__("Web Push", clock, ids, journal, _store.WEB_PUSH)
        self._subscriptions: dict[str, _Subscription] = {}

    @property
    def handoff_errors(self) -> list[Exception]:
        """Return what browsers raised while taking accepted messages, oldest first."""
        return self._ledger.handoff_errors

    def subscribe(
        self,
        origin: str,
        application_server_key: str,
        p256dh: str,
        auth: str,
        endpoint: PushEndpoint,
    ) -> dict[str, Any]:
        """Create a subscription and return it as ``PushSubscription.toJSON()``.

        The browser generates ``p256dh`` and ``auth`` and keeps the private key;
        ``application_server_key`` restricts the subscription to one VAPID key.
        """
        if origin not in ORIGINS:
            raise BadSetup(
                f"no emulated push service at {origin!r}; use one of "
                f"{', '.join(sorted(ORIGINS))}."
            )
        try:
            server_key = _b64.decode(application_server_key)
            _b64.load_point(application_server_key)
            _b64.load_point(p256dh)
            secret = _b64.decode(auth)
        except ValueError as error:
            raise BadSetup(f"subscribe() refused a key: {error}") from error
        if len(secret) != 16:
            raise BadSetup(f"auth secret has {len(secret)} bytes; browsers use 16.")
        subscription = self._new_id(origin)
        url = f"{origin}{ORIGINS[origin]}{subscription}"
        self._subscriptions[subscription] = _Subscription(
            url, origin, server_key, endpoint
        )
        keys = {"p256dh": p256dh, "auth": auth}
        return {"endpoint": url, "expirationTime": None, "keys": keys}

    def unsubscribe(self, endpoint_url: str) -> None:
        """Drop the subscription (permission revoked, site data cleared): 410 after."""
        subscription = self._subscriptions.get(endpoint_url.rsplit("/", 1)[-1])
        if subscription is None or subscription.url != endpoint_url:
            raise UnknownSubscription(endpoint_url)
        subscription.unsubscribed_at = self._clock.now()

    def endpoint_url(self, origin: str, subscription: str) -> str:
        """Return the endpoint URL for ``subscription`` at ``origin``."""
        return f"{origin}{ORIGINS.get(origin, '/')}{subscription}"

    def send(self, request: WebPushRequest) -> Acceptance:
        """Accept ``request`` or raise :class:`Rejected`."""
        subscription = self._subscription(request)
        self._authorize(subscription, request.authorization)
        now = self._clock.now()
        ttl = min(request.ttl, MAX_TTL)
        location = f"{subscription.origin}/m/{self._ids.b64url(18)}"
        notification = Notification(
            service="webpush",
            token=subscription.url,
            title=None,
            body=None,
            data={},
            delivery_id=None,
            priority="high" if request.urgency == "high" else "normal",
            push_type="webpush",
            collapse_id=request.topic,
            expires_at=now + timedelta(seconds=ttl),
            sent_at=now,
            raw=request.body,
        )
        return Acceptance(location, ttl, notification, subscription.endpoint)

    def settle(
        self,
        verdict: Verdict,
        *,
        detail: str | None = None,
        acceptance: Acceptance | None = None,
    ) -> None:
        """Record ``verdict``, then hand an accepted message to its browser.

        The delivery id stays unknown: it is inside the encrypted payload. The
        201 stands whatever the browser then does: a push service never learns
        whether a message decrypts. So an exception from the browser's
        ``deliver`` is journaled, logged and kept in :attr:`handoff_errors`
        rather than raised into the sender's request.
        """
        self._ledger.record(verdict, delivery_id=None, detail=detail)
        if acceptance is None:
            return
        try:
            self._hand_over(acceptance.notification, acceptance.endpoint)
        except Exception as error:
            self._ledger.record_handoff_error(acceptance.notification, error)

    def _new_id(self, origin: str) -> str:
        choice = self._ids.choice
        if origin == "https://fcm.googleapis.com":
            fid = choice("cdef", 1) + choice(_ALPHABET, 10)
            return f"{fid}:APA91b{choice(_ALPHABET, 134)}"
        if origin == "https://web.push.apple.com":
            return choice(_ALPHABET, 88)
        return f"gAAAAAB{choice(_ALPHABET, 133)}"

    def _subscription(self, request: WebPushRequest) -> _Subscription:
        subscription = self._subscriptions.get(request.subscription)
        if subscription is None:
            raise Rejected(
                "NotFound",
                "no subscription has this endpoint; it never existed or expired.",
            )
        gone = subscription.unsubscribed_at
        if gone is not None:
            detail = f"the subscription was unsubscribed at {gone}."
            raise Rejected("Unsubscribed", detail, unsubscribed_at=gone)
        return subscription

    def _authorize(self, subscription: _Subscription, auth: VapidAuth | None) -> None:
        if auth is None or auth.scheme != "vapid":
            raise Rejected(
                "MissingAuthorization",
                "the subscription is restricted to a VAPID key; send "
                "'Authorization: vapid t=<JWT>, k=<public key>'.",
            )
        if not auth.token or not auth.key:
            _refuse("the vapid authorization lacks its t= or k= parameter.")
        try:
            key = _b64.load_point(auth.key)
            same = _b64.decode(auth.key) == subscription.server_key
            claims = jwt.decode(
                auth.token,
                key,
                algorithms=["ES256"],
                options=_UNTIMED,
            )
        except (ValueError, jwt.PyJWTError) as error:
            _refuse(f"the VAPID token does not verify with k ({error}).")
        if not same:
            _refuse("k is not the applicationServerKey the subscription was made with.")
        self._check_claims(subscription, claims)

    def _check_claims(
        self, subscription: _Subscription, claims: dict[str, object]
    ) -> None:
        if claims.get("aud") != subscription.origin:
            _refuse(
                f"aud {claims.get('aud')!r} is not the push service's origin "
                f"{subscription.origin}."
            )
        self._check_expiry(claims["exp"])
        sub = str(claims.get("sub", ""))
        apple = subscription.origin == "https://web.push.apple.com"
        if apple and not sub.startswith(("mailto:", "https:")):
            _refuse(f"sub {sub!r} is not a mailto: or https: contact.")

    def _check_expiry(self, exp: object) -> None:
        expires = _numbers.seconds(exp)
        now = self._clock.now()
        if expires is None:
            _refuse(f"exp {exp!r} is not a Unix time in seconds.")
        if expires <= now.timestamp():
            _refuse(
                f"exp {exp!r} is not after {now}; sign a token that is still valid."
            )
        if expires > (now + MAX_VAPID_LIFETIME).timestamp():
            _refuse(
                f"exp {exp!r} is more than 24 hours after {now}; RFC 8292 allows "
                "at most 24 hours."
            )


def _refuse(detail: str) -> NoReturn:
    raise Rejected("BadJwtToken", detail)
