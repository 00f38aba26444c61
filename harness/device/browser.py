"""An emulated browser running the shop site with Customer.io's web SDK.

Identity follows ``@customerio/cdp-analytics-browser``: the anonymous id lives in
the ``ajs_anonymous_id`` cookie (a lowercase UUIDv4) and the user id in
``ajs_user_id``; calls go one by one to ``https://{apiHost}/{i,t,p,a}`` as
``text/plain`` with the write key in the body. Web Push uses the Push API: the
browser makes its own P-256 key pair and auth secret, subscribes with the
workspace's VAPID key, and decrypts what arrives with its private key
(``aes128gcm`` or the draft ``aesgcm``).

Registering the subscription with the workspace is not documented publicly; the
emulator's policy is a ``Device Created or Updated`` event with the endpoint as
the token, ``type: web``, and the subscription keys in the properties, sent once
the visitor is identified (Customer.io makes a browser a device only then).

What the browser does to its subscription, as the Push API has it:

- revoking the site's notification permission ends the subscription (the push
  service answers 410 after) and fires ``pushsubscriptionchange`` with no new
  subscription, as the spec allows; the web SDK's handler then reports
  ``push_enabled: false`` for the old endpoint, as the mobile SDKs report a
  permission change (a named policy: Customer.io's service worker is not
  public);
- clearing site data drops the subscription, the cookies and the web SDK's
  stored calls, but keeps the permission, so the next :meth:`enable_push`
  subscribes without a prompt and, once identified, registers the new endpoint;
- going offline or closing the browser drops its connection to the push
  service, which stores messages by TTL and Topic; going online or reopening
  hands them over. Web SDK calls made offline wait in its queue and go out
  then. A closed browser gets nothing here, as desktop Chrome and Firefox;
  Android Chrome and Safari, which the OS wakes for a push, are not modelled.

Each push's outcome lands in :attr:`EmulatedBrowser.inbox` and the journal:
shown, dropped, stored until online, never. A stored or discarded push is
labelled with what it would have shown (the harness reads it with the
browser's key; the browser itself cannot until it arrives).
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ..errors import ScenarioError
from ..journal import Entry, plural, short_token
from ..push.notification import Notification
from ..push.webpush.wire import decrypt
from .context import Context
from .inbox import Inbox, InboxItem, Outcome

if TYPE_CHECKING:
    from ..people import Product, Shopper

logger = logging.getLogger(__name__)

SITE = "https://shop.example"
# What the web SDK tracks for each step the shopper takes on the site.
EVENTS = {
    "view": "product_viewed",
    "add_to_cart": "added_to_cart",
    "complete_order": "order_completed",
}
LIBRARY = {"name": "@customerio/cdp-analytics-browser", "version": "0.5.8"}


class EmulatedBrowser:
    """A browser tab on the shop site: cookies, web SDK calls and Web Push."""

    def __init__(
        self,
        name: str,
        context: Context,
        *,
        origin: str = "https://fcm.googleapis.com",
        user_agent: str = "Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile",
        answers_prompt: str = "allow",
        vapid_public_key: str | None = None,
        api_host: str = "cdp.customer.io/v1",
    ) -> None:
        self.name, self.context, self.origin = name, context, origin
        self.user_agent, self.answers_prompt = user_agent, answers_prompt
        self.vapid_public_key, self.api_host = vapid_public_key, api_host
        self.cookies: dict[str, str] = {}
        self.permission = "default"
        self.subscription: dict[str, Any] | None = None
        self.inbox = Inbox()
        self.online = self.running = True
        self._keys: ec.EllipticCurvePrivateKey | None = None
        self._auth = b""
        self._held: list[tuple[str, str]] = []
        self._ids = context.ids.child(f"browser/{name}")

    # -- identity --------------------------------------------------------------

    @property
    def anonymous_id(self) -> str:
        """Return the ``ajs_anonymous_id`` cookie, minting it on first use."""
        if "ajs_anonymous_id" not in self.cookies:
            self.cookies["ajs_anonymous_id"] = self._ids.uuid4()
        return self.cookies["ajs_anonymous_id"]

    @property
    def user_id(self) -> str | None:
        """Return the ``ajs_user_id`` cookie, if set."""
        return self.cookies.get("ajs_user_id")

    def app_link(self) -> str:
        """Return the "open in the app" link, carrying the web anonymous id."""
        return f"{SITE}/app?" + urlencode({"ajs_aid": self.anonymous_id})

    # -- the shopper's actions -------------------------------------------------

    def visit(self, path: str = "/") -> None:
        """Open a page: the SDK sends a page call."""
        self._send("page", name=path, properties={"path": path, "url": SITE + path})

    def view(self, product: Product) -> None:
        """Open a product page."""
        self.visit(f"/products/{product.sku.lower()}")
        self._send("track", event=EVENTS["view"], properties=product.properties())

    def add_to_cart(self, product: Product, qty: int = 1) -> None:
        """Add a product to the cart."""
        self._log("action", f"added {product.name} to the cart")
        self._send(
            "track",
            event=EVENTS["add_to_cart"],
            properties=product.cart_properties(qty),
        )

    def complete_order(self, product: Product, qty: int = 1) -> None:
        """Place the order."""
        self._send(
            "track",
            event=EVENTS["complete_order"],
            properties=product.cart_properties(qty),
        )

    def log_in(self, shopper: Shopper) -> None:
        """Log in: identify with the stable user id."""
        self._log("action", f"logged in as {shopper.user_id}")
        self.cookies["ajs_user_id"] = shopper.user_id
        self._send(
            "identify",
            traits={"email": shopper.email, "first_name": shopper.first_name},
        )
        self._register_subscription()

    def log_out(self) -> None:
        """Log out: take the subscription off the person, then ``reset()``.

        ``analytics.reset()`` clears both cookies. Deleting the web device first
        mirrors what the mobile SDKs' clearIdentify does (emulator policy).
        """
        self._log("action", "logged out")
        if self.subscription is not None and self.user_id:
            self._send(
                "track",
                event="Device Deleted",
                device={"token": self.subscription["endpoint"], "type": "web"},
            )
        self.cookies.pop("ajs_user_id", None)
        self.cookies.pop("ajs_anonymous_id", None)

    # -- web push --------------------------------------------------------------

    def enable_push(self) -> None:
        """Ask for permission and subscribe if granted (silently if already so)."""
        if self.permission == "default":
            answer = self.answers_prompt
            if answer != "dismiss":
                self.permission = "granted" if answer == "allow" else "denied"
            self._log("permission", f"notification prompt: the user chose {answer!r}")
        if self.permission == "granted" and self.subscription is None:
            self._subscribe()

    def set_notifications(self, enabled: bool) -> None:
        """Change the site's notification permission in the browser's settings.

        Revoking it ends the subscription and fires ``pushsubscriptionchange``.
        """
        self.permission = "granted" if enabled else "denied"
        if enabled or self.subscription is None:
            self._log("permission", f"notifications {'allowed' if enabled else 'off'}")
            return
        ended = self._end_subscription()
        self._log("permission", "permission revoked: the subscription is dead")
        self._subscription_changed(ended)

    def clear_site_data(self) -> None:
        """Clear the site's data: cookies, the web SDK's queue, the subscription.

        The notification permission stays, as browsers keep it apart.
        """
        if self.subscription is not None:
            self._end_subscription()
        self.cookies, self._held = {}, []
        self._log(
            "site-data",
            f"site data cleared: cookies, web SDK ids and the push subscription "
            f"are gone; notification permission stays {self.permission!r}",
        )

    def go_offline(self) -> None:
        """Lose the network: pushes wait at the push service, SDK calls queue."""
        self.online = False
        self._log("network", "offline")

    def go_online(self) -> None:
        """Get the network back: stored pushes arrive, queued SDK calls go out."""
        self.online = True
        self._log("network", "online again")
        self._reconnected()

    def close(self) -> None:
        """Close the browser: it holds no connection to its push service."""
        self.running = False
        self._log("lifecycle", "closed")

    def reopen(self) -> None:
        """Open the browser again: stored pushes arrive, queued SDK calls go out."""
        self.running = True
        self._log("lifecycle", "opened again")
        self._reconnected()

    def reachable(self) -> bool:
        """Tell whether the browser holds a connection to its push service."""
        return self.online and self.running

    def stored(self, notification: Notification, note: str) -> None:
        """Record that the push service holds a message until the browser is back."""
        labelled, _ = self._open(notification)
        self._record(notification, labelled, Outcome.STORED, note)

    def discarded(self, notification: Notification, note: str) -> None:
        """Record that the push service threw a message away undelivered."""
        labelled, _ = self._open(notification)
        self._record(notification, labelled, Outcome.NEVER, note)

    def deliver(self, notification: Notification) -> None:
        """Decrypt a push with this browser's keys and show it if allowed.

        The service worker reports delivered when it shows a push and opened when
        it is clicked, through the web SDK (the exact Customer.io service-worker
        calls are not public; this is the emulator's policy).
        """
        shown, problem = self._open(notification)
        if problem is not None:
            outcome, reason = Outcome.DROPPED, problem
        elif self.permission == "granted":
            outcome, reason = Outcome.SHOWN, "permission granted"
        else:
            outcome, reason = Outcome.DROPPED, "permission not granted"
        self._record(notification, shown, outcome, reason)
        if outcome.visible and shown.delivery_id:
            self._metric("delivered", shown)

    def tap(self, item: InboxItem) -> None:
        """Click a notification: the service worker reports the open."""
        if not item.outcome.visible:
            raise ScenarioError(
                f"cannot click a notification that was {item.outcome.value} "
                f"({item.reason})"
            )
        if item.tapped_at is not None:
            raise ScenarioError(f"notification {item.title!r} was already clicked")
        item.tapped_at = self.context.clock.now()
        self._log("tap", f"notification {item.title!r} clicked")
        if item.delivery_id:
            self._metric("opened", item.notification)

    def _open(self, notification: Notification) -> tuple[Notification, str | None]:
        """Decrypt the payload; return the readable push or why it can't be read."""
        if self._keys is None:
            return notification, "the browser holds no subscription keys"
        if not notification.raw:
            return notification, "push without a payload: nothing to show"
        try:
            raw = decrypt(notification.raw, self._keys, self._auth, notification.data)
            plain = json.loads(raw)
        except Exception as error:  # any failure to decrypt or parse is the same
            return notification, f"payload could not be decrypted or read ({error})"
        if not isinstance(plain, dict):
            return notification, "payload is not a JSON object"
        raw_data = plain.get("data")
        fields = raw_data if isinstance(raw_data, dict) else {}
        data = {str(k): str(v) for k, v in fields.items()}
        return replace(
            notification,
            title=plain.get("title"),
            body=plain.get("body"),
            data=data,
            delivery_id=data.get("CIO-Delivery-ID") or notification.delivery_id,
        ), None

    def _metric(self, metric: str, notification: Notification) -> None:
        self._send(
            "track",
            event="Report Delivery Event",
            properties={
                "metric": metric,
                "deliveryId": notification.delivery_id,
                "recipient": notification.token,
            },
        )

    def _subscribe(self) -> None:
        if not self.vapid_public_key:
            raise ScenarioError("the workspace has no VAPID key; web push is off")
        self._keys = ec.generate_private_key(ec.SECP256R1())
        self._auth = self._ids.bytes(16)
        public = self._keys.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        self.subscription = self.context.push.webpush.subscribe(
            self.origin,
            self.vapid_public_key,
            _b64(public),
            _b64(self._auth),
            self,
        )
        self._log("subscribe", f"subscribed to Web Push at {self.origin}")
        self._register_subscription()

    def _end_subscription(self) -> str:
        """Have the push service drop the subscription; return its endpoint."""
        assert self.subscription is not None
        endpoint = str(self.subscription["endpoint"])
        self.context.push.webpush.unsubscribe(endpoint)
        self.subscription, self._keys, self._auth = None, None, b""
        return endpoint

    def _subscription_changed(self, ended: str) -> None:
        """Run the service worker's ``pushsubscriptionchange``: no new subscription."""
        self._log(
            "pushsubscriptionchange",
            f"pushsubscriptionchange: {short_token(ended)} ended, no new subscription",
        )
        if self.user_id is None:
            return
        self._send(
            "track",
            event="Device Created or Updated",
            properties={"push_enabled": False},
            device={"token": ended, "type": "web"},
        )

    def _reconnected(self) -> None:
        if not self.reachable():
            return
        if self.subscription is not None:
            endpoint = self.subscription["endpoint"]
            arrived = self.context.push.webpush.reconnect(endpoint)
            if arrived:
                self._log("network", f"{plural(arrived, 'stored push')} arrived")
        held, self._held = self._held, []
        for path, raw in held:
            self._post(path, raw)

    def _register_subscription(self) -> None:
        if self.subscription is None or self.user_id is None:
            return
        keys = self.subscription["keys"]
        self._send(
            "track",
            event="Device Created or Updated",
            properties={
                "web_push_p256dh": keys["p256dh"],
                "web_push_auth": keys["auth"],
                "push_enabled": self.permission == "granted",
            },
            device={"token": self.subscription["endpoint"], "type": "web"},
        )

    # -- the wire --------------------------------------------------------------

    def _send(
        self, kind: str, device: dict[str, str] | None = None, **fields: Any
    ) -> None:
        context: dict[str, Any] = {
            "library": LIBRARY,
            "userAgent": self.user_agent,
            "locale": "en-US",
            "page": {"url": SITE, "path": "/", "title": "Shop"},
        }
        if device:
            context["device"] = device
        body: dict[str, Any] = {
            "type": kind,
            "anonymousId": self.anonymous_id,
            "messageId": f"ajs-next-{self._ids.hex(16)}",
            "timestamp": _iso(self.context.clock),
            "context": context,
            "integrations": {},
            "writeKey": self.context.write_key,
            "sentAt": _iso(self.context.clock),
            **fields,
        }
        if self.user_id:
            body["userId"] = self.user_id
        path = {"identify": "i", "track": "t", "page": "p", "alias": "a"}[kind]
        raw = json.dumps(body, separators=(",", ":"))
        who = self.user_id or f"anonymous {self.anonymous_id}"
        name = fields.get("event") or fields.get("name") or ""
        text = f"{kind} {name!r} sent as {who}".replace(" ''", "")
        if not self.reachable():
            self._held.append((path, raw))
            text += " (held: offline)"
        else:
            self._post(path, raw)
        self._log("sdk", text)

    def _post(self, path: str, raw: str) -> None:
        try:
            self.context.http.post(
                f"https://{self.api_host}/{path}",
                content=raw,
                headers={"Content-Type": "text/plain"},
            )
        except httpx.HTTPError as error:
            logger.warning("web SDK call failed: %s", error)

    def _record(
        self,
        received: Notification,
        labelled: Notification,
        outcome: Outcome,
        reason: str,
    ) -> InboxItem:
        """Move this message's item on to ``outcome`` (or add it), and journal it."""
        now = self.context.clock.now()
        item = self.inbox.record(received, labelled, outcome, reason, now)
        self.context.journal.record(item.entry(now, "browser", self.name))
        return item

    def _log(self, kind: str, text: str) -> None:
        self.context.journal.record(
            Entry(
                self.context.clock.now(),
                "browser",
                kind,
                f"{self.name}: {text}",
                anonymous_id=self.cookies.get("ajs_anonymous_id"),
                device=self.name,
            )
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _iso(clock: Any) -> str:
    return str(clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"))
