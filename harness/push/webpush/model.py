"""The emulated web push services: subscriptions and what each message must pass.

One service model stands for every browser vendor's push service (RFC 8030);
the origin a subscription was made at says which one: Chrome's on
fcm.googleapis.com, Safari's on web.push.apple.com, Firefox's autopush. Where
they differ, :data:`VENDORS` says how (the longest TTL kept, how strictly VAPID's
``sub`` is read); how each words a refusal is the wire layer's business. The
service never decrypts: it hands the encrypted body to the browser, which owns
the private key.

Once its headers pass the wire's checks, a message passes, in order: an
injected fault (:meth:`WebPushService.fail_next`), the subscription (unknown:
``NotFound``; unsubscribed: ``Unsubscribed``), VAPID (:mod:`.vapid`), then the
rate limit: more than :data:`RATE_LIMIT` messages to one subscription within
:data:`RATE_WINDOW` is ``TooManyRequests`` until the oldest leaves the window
(a named policy; the vendors publish no figure).
Accepted messages reach the browser at once, or wait in the service while it
is offline, by TTL and Topic (``harness.push._store``).

``Prefer: respond-async`` with a receipt subscription in ``Link`` (RFC 8030
section 5.1) is accepted with 202, and the receipt is kept, readable with
:meth:`WebPushService.receipts`, once the browser takes the message.

Known gaps: receipts are not pushed to the application server (RFC 8030 has
it hold a GET open on the receipt subscription over HTTP/2); receipt
subscriptions are not created or checked, any absolute URL is taken; Firefox's
unrestricted ``/wpush/v1/`` subscriptions (no ``applicationServerKey``) do not
exist here, every subscription is restricted; subscriptions never expire by
themselves (autopush drops browsers unseen for 60 days).
"""

from __future__ import annotations

import math
import string
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.push import _b64, _store
from harness.push._provider import Provider
from harness.push.notification import Notification, PushEndpoint, Verdict
from harness.push.webpush import vapid
from harness.push.webpush.errors import BadSetup, Rejected, UnknownSubscription
from harness.push.webpush.vapid import Restriction, VapidAuth

CHROME = "https://fcm.googleapis.com"
SAFARI = "https://web.push.apple.com"
FIREFOX = "https://updates.push.services.mozilla.com"
ORIGINS = {CHROME: "/wp/", SAFARI: "/", FIREFOX: "/wpush/v2/"}
MAX_TTL = 2_419_200  # four weeks, FCM's longest


@dataclass(frozen=True)
class Vendor:
    """How one vendor's push service differs: longest TTL kept, ``sub`` rule."""

    max_ttl: int
    subject: str


VENDORS = {
    CHROME: Vendor(MAX_TTL, "unchecked"),
    # Apple publishes no longest TTL; four weeks, as FCM, is a named policy.
    SAFARI: Vendor(MAX_TTL, "contact"),
    # autopush keeps a message up to 60 days.
    FIREFOX: Vendor(60 * 24 * 3600, "required"),
}
RATE_LIMIT = 100
RATE_WINDOW = timedelta(minutes=1)
# Each injectable fault, and the Retry-After it carries: 120 s, autopush's.
FAULTS = {
    "InternalServerError": None,
    "ServiceUnavailable": 120,
    "TooManyRequests": 120,
}
SERVED_PREFIX = "/webpush"
_ALPHABET = string.ascii_letters + string.digits + "-_"


@dataclass(frozen=True)
class WebPushRequest:
    """A push message, parsed from the wire; ``subscription`` is the path's id.

    ``encoding`` is the body's ``Content-Encoding``; for ``aesgcm``, ``salt``
    and ``dh`` come from the ``Encryption`` and ``Crypto-Key`` headers.
    ``receipt`` is the receipt subscription of a ``Prefer: respond-async``
    request.
    """

    origin: str
    subscription: str
    ttl: int
    urgency: str
    topic: str | None
    body: bytes
    authorization: VapidAuth | None
    encoding: str | None = None
    salt: str | None = None
    dh: str | None = None
    receipt: str | None = None


@dataclass(frozen=True)
class Acceptance:
    """An accepted push message, with the TTL the service applies."""

    location: str
    ttl: int
    notification: Notification
    endpoint: PushEndpoint
    receipt: str | None = None


@dataclass(frozen=True)
class Receipt:
    """A push message the browser took, under the receipt subscription asked for."""

    location: str
    delivered_at: datetime


@dataclass(frozen=True)
class _Awaited:
    notification: Notification
    location: str
    receipt: str


@dataclass
class _Subscription:
    url: str
    origin: str
    restriction: Restriction
    receiver: _Receiver
    unsubscribed_at: datetime | None = None
    recent: deque[datetime] = field(default_factory=deque)


class WebPushService(Provider):
    """Hold the push subscriptions browsers made with the emulated services.

    ``served_at`` is the base URL endpoints are handed out under when the
    emulator is served (``https://127.0.0.1:8443``), so that senders reach it
    rather than the vendors: ``{served_at}/webpush/{vendor host}{vendor path}``.
    None hands out each vendor's own URL, which embedded runs answer in
    process. ``expired_as_not_found`` answers dead subscriptions with RFC
    8030's 404 instead of the 410 the vendors give. ``rate_limit`` and
    ``rate_window`` set the rate limit.
    """

    known_faults = tuple(FAULTS)
    setup_error = BadSetup

    def __init__(self, clock: Clock, ids: Ids, journal: Journal) -> None:
        super().__init__("Web Push", clock, ids, journal, _store.WEB_PUSH)
        self._subscriptions: dict[str, _Subscription] = {}
        self._receipts: dict[str, list[Receipt]] = {}
        self._awaiting: list[_Awaited] = []
        self.served_at: str | None = None
        self.expired_as_not_found = False
        self.rate_limit = RATE_LIMIT
        self.rate_window = RATE_WINDOW

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
        server_key = _keys(application_server_key, p256dh, auth)
        subscription = self._new_id(origin)
        url = self.endpoint_url(origin, subscription)
        parts = urlsplit(url)
        audience = f"{parts.scheme}://{parts.netloc}"
        rule = VENDORS[origin].subject
        restriction = Restriction(audience, server_key, rule)
        receiver = _Receiver(endpoint, self._acknowledge)
        self._subscriptions[subscription] = _Subscription(
            url, origin, restriction, receiver
        )
        keys = {"p256dh": p256dh, "auth": auth}
        return {"endpoint": url, "expirationTime": None, "keys": keys}

    def unsubscribe(self, endpoint_url: str) -> None:
        """Drop the subscription (permission revoked, site data cleared): 410 after."""
        subscription = self._subscriptions.get(endpoint_url.rsplit("/", 1)[-1])
        if subscription is None or subscription.url != endpoint_url:
            raise UnknownSubscription(endpoint_url)
        subscription.unsubscribed_at = self._clock.now()
        note = "the push service dropped it with the subscription it was for"
        self._drop_stored(endpoint_url, note)

    def endpoint_url(self, origin: str, subscription: str) -> str:
        """Return the endpoint URL for ``subscription`` at ``origin``."""
        return self._resource(origin, f"{ORIGINS.get(origin, '/')}{subscription}")

    def receipts(self, receipt_subscription: str) -> list[Receipt]:
        """Return the receipts kept for ``receipt_subscription``, oldest first."""
        return list(self._receipts.get(receipt_subscription, []))

    def send(self, request: WebPushRequest) -> Acceptance:
        """Accept ``request`` or raise :class:`Rejected`."""
        fault = self._next_fault()
        if fault is not None:
            raise Rejected(
                fault,
                f"an injected fault: fail_next({fault!r}) queued this answer.",
                retry_after=FAULTS[fault],
            )
        subscription = self._subscription(request)
        now = self._clock.now()
        vapid.check(request.authorization, subscription.restriction, now)
        self._throttle(subscription, now)
        ttl = min(request.ttl, VENDORS[subscription.origin].max_ttl)
        location = self._resource(subscription.origin, f"/m/{self._ids.b64url(18)}")
        notification = Notification(
            service="webpush",
            token=subscription.url,
            title=None,
            body=None,
            data=_forwarded(request),
            delivery_id=None,
            priority="high" if request.urgency == "high" else "normal",
            push_type="webpush",
            collapse_id=request.topic,
            expires_at=now + timedelta(seconds=ttl),
            sent_at=now,
            raw=request.body,
        )
        receiver = subscription.receiver
        return Acceptance(location, ttl, notification, receiver, request.receipt)

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
        if acceptance.receipt is not None:
            notification, receipt = acceptance.notification, acceptance.receipt
            self._awaiting.append(_Awaited(notification, acceptance.location, receipt))
        try:
            self._hand_over(acceptance.notification, acceptance.endpoint)
        except Exception as error:
            self._ledger.record_handoff_error(acceptance.notification, error)

    def _resource(self, origin: str, path: str) -> str:
        if self.served_at is None:
            return f"{origin}{path}"
        host = origin.removeprefix("https://")
        return f"{self.served_at.rstrip('/')}{SERVED_PREFIX}/{host}{path}"

    def _acknowledge(self, notification: Notification, taken: bool) -> None:
        """Keep the receipt ``notification`` asked for once the browser took it."""
        for awaited in self._awaiting:
            if awaited.notification is notification:
                self._awaiting.remove(awaited)
                if taken:
                    receipt = Receipt(awaited.location, self._clock.now())
                    self._receipts.setdefault(awaited.receipt, []).append(receipt)
                return

    def _new_id(self, origin: str) -> str:
        choice = self._ids.choice
        if origin == CHROME:
            fid = choice("cdef", 1) + choice(_ALPHABET, 10)
            return f"{fid}:APA91b{choice(_ALPHABET, 134)}"
        if origin == SAFARI:
            return choice(_ALPHABET, 88)
        return f"gAAAAAB{choice(_ALPHABET, 133)}"

    def _subscription(self, request: WebPushRequest) -> _Subscription:
        subscription = self._subscriptions.get(request.subscription)
        if subscription is None or subscription.origin != request.origin:
            raise Rejected(
                "NotFound",
                "no subscription has this endpoint; it never existed here. Send "
                "to the endpoint the browser's subscription names.",
            )
        gone = subscription.unsubscribed_at
        if gone is not None:
            detail = (
                f"the subscription was unsubscribed at {gone}; stop sending to it "
                "and drop it."
            )
            raise Rejected("Unsubscribed", detail, unsubscribed_at=gone)
        return subscription

    def _throttle(self, subscription: _Subscription, now: datetime) -> None:
        recent = subscription.recent
        while recent and recent[0] <= now - self.rate_window:
            recent.popleft()
        if len(recent) >= self.rate_limit:
            wait = (recent[0] + self.rate_window - now).total_seconds()
            raise Rejected(
                "TooManyRequests",
                f"{len(recent)} messages went to this subscription in the last "
                f"{self.rate_window}, the most the service takes; wait and send "
                "again.",
                retry_after=max(1, math.ceil(wait)),
            )
        recent.append(now)


class _Receiver:
    """The browser as its push service sees it: forwards, and says what it took."""

    def __init__(
        self, browser: PushEndpoint, outcome: Callable[[Notification, bool], None]
    ) -> None:
        self._browser = browser
        self._outcome = outcome

    def deliver(self, notification: Notification) -> None:
        self._browser.deliver(notification)
        self._outcome(notification, True)

    def reachable(self) -> bool:
        return self._browser.reachable()

    def stored(self, notification: Notification, note: str) -> None:
        self._browser.stored(notification, note)

    def discarded(self, notification: Notification, note: str) -> None:
        self._browser.discarded(notification, note)
        self._outcome(notification, False)


def _keys(application_server_key: str, p256dh: str, auth: str) -> bytes:
    try:
        server_key = _b64.decode(application_server_key)
        _b64.load_point(application_server_key)
        _b64.load_point(p256dh)
        secret = _b64.decode(auth)
    except ValueError as error:
        raise BadSetup(f"subscribe() refused a key: {error}") from error
    if len(secret) != 16:
        raise BadSetup(f"auth secret has {len(secret)} bytes; browsers use 16.")
    return server_key


def _forwarded(request: WebPushRequest) -> dict[str, str]:
    """Return what travels with the body to the browser so it can decrypt it."""
    if not request.body or request.encoding is None:
        return {}
    given = {"encoding": request.encoding, "salt": request.salt, "dh": request.dh}
    return {name: value for name, value in given.items() if value is not None}
