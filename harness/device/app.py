"""The app on an emulated phone, wiring the SDK the way its app profile says.

Scenarios speak in the shopper's terms (log in, add to cart); the app profile
decides what that means for the SDK: whether and with which id it identifies,
when it asks for notification permission, what logout does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from ..apps import AppProfile, EventSpec
from ..journal import Entry
from .context import Context
from .inbox import InboxItem
from .sdk import MobileSdk, SdkConfig
from .storage import Sandbox

if TYPE_CHECKING:
    from ..people import Product, Shopper
    from .phone import EmulatedPhone


class ShopApp:
    """A shop app built on the Customer.io SDK, as described by an app profile."""

    def __init__(
        self,
        phone: EmulatedPhone,
        profile: AppProfile,
        context: Context,
        *,
        referrer: str | None = None,
        install: int = 1,
    ) -> None:
        self.phone, self.profile, self.context = phone, profile, context
        self.sandbox = Sandbox()
        self.opened_links: list[str] = []
        if referrer:
            self.sandbox.set("install_referrer", referrer)
        sdk = profile.sdk
        config = SdkConfig(
            platform=phone.profile.platform,
            write_key=context.write_key,
            api_host=sdk.api_host,
            cdn_host=sdk.cdn_host,
            flush_at=sdk.flush_at,
            flush_interval=sdk.flush_interval,
            track_lifecycle=sdk.track_lifecycle,
            auto_track_push=sdk.auto_track_push,
        )
        self.sdk = MobileSdk(
            config,
            phone,
            self.sandbox,
            context.http,
            context.clock,
            context.ids.child(f"sdk/{phone.name}/{install}"),
            context.journal,
        )

    # -- OS callbacks ----------------------------------------------------------

    def started(self) -> None:
        """Run the app's start-up code: SDK init, the first-launch prompt."""
        first = not self.sandbox.get("launched")
        self.sandbox.set("launched", True)
        self.sdk.start()
        if first and self.profile.permission_prompt == "first_launch":
            self._ask_permission()

    def token_ready(self, token: str) -> None:
        """Pass the OS's push token to the SDK, as the app delegate does each launch."""
        self.sdk.register_device_token(token)

    def foregrounded(self) -> None:
        """Come back to the foreground: the SDK re-reads the permission."""
        self.sdk.foregrounded()

    def backgrounded(self) -> None:
        """Go to the background: the SDK logs it and flushes its queue."""
        self.sdk.backgrounded()

    def permission_changed(self) -> None:
        """React to the prompt's answer at once, not on the next launch."""
        self.sdk.refresh_device_attributes()
        self.sdk.flush()

    def push_arrived(self, item: InboxItem) -> None:
        """Run the app's push code for a push the OS let through.

        Android's SDK reports delivered on receipt, whether or not the OS then
        shows it, and its receiver does so for a notification message the system
        tray drew. On
        iOS the Notification Service Extension reports it, and the extension
        runs only for a notification the system presents.
        """
        if not (self.profile.sdk.auto_track_push and item.delivery_id):
            return
        android = self.phone.profile.platform == "android"
        if android or item.outcome.visible:
            self.sdk.report_delivered(item.delivery_id, item.notification.token)

    def notification_opened(self, item: InboxItem) -> None:
        """Report the open and follow the push's deep link."""
        if self.profile.sdk.auto_track_push and item.delivery_id:
            self.sdk.report_metric("opened", item.delivery_id, item.notification.token)
        link = item.notification.data.get("link")
        if link:
            self.opened_links.append(link)
            self._log(f"deep link {link} opened")

    # -- the shopper's actions -------------------------------------------------

    def log_in(self, shopper: Shopper) -> None:
        """Log in: identify per the profile, link the web session, maybe prompt."""
        self._action(
            f"logged in as {shopper.role} ({shopper.user_id})", shopper=shopper.role
        )
        self._identify(shopper, "login")
        if self.profile.permission_prompt == "after_login":
            self._ask_permission()
        self.sdk.flush()

    def create_account(self, shopper: Shopper) -> None:
        """Sign up: identify if the profile does so on account creation."""
        self._action(
            f"{shopper.role} created account {shopper.user_id}", shopper=shopper.role
        )
        self._identify(shopper, "account_creation")
        if self.profile.permission_prompt == "after_login":
            self._ask_permission()

    def log_out(self) -> None:
        """Log out: clear the SDK's identity if the profile does so."""
        self._action("logged out")
        if self.profile.logout == "clear_identify":
            self.sdk.clear_identify()
        self.sdk.flush()

    def view(self, product: Product) -> None:
        """Open a product page."""
        self._track(self.profile.events.product_viewed, product.properties())

    def add_to_cart(self, product: Product, qty: int = 1) -> None:
        """Add a product to the cart."""
        self._action(f"added {product.name} to the cart")
        self._track(self.profile.events.add_to_cart, product.cart_properties(qty))

    def start_checkout(self, product: Product, qty: int = 1) -> None:
        """Open the checkout for the cart."""
        self._action("started the checkout")
        self._identify_if("checkout")
        self._track(self.profile.events.checkout_started, product.cart_properties(qty))

    def complete_order(self, product: Product, qty: int = 1) -> None:
        """Place the order for the cart."""
        self._action("completed the order")
        self._identify_if("checkout")
        self._track(self.profile.events.order_completed, product.cart_properties(qty))

    def _track(self, spec: EventSpec, values: dict[str, Any]) -> None:
        """Send one shopping action's event the way the app profile says."""
        properties = spec.pick(values)
        shopper = self.sandbox.get("shopper")
        if spec.sent_by == "backend" and shopper is not None:
            self.context.backend.track(shopper.user_id, spec.name, properties)
        else:
            self.sdk.track(spec.name, properties)

    # -- helpers ---------------------------------------------------------------

    def _identify(self, shopper: Shopper, moment: str) -> None:
        self.sandbox.set("shopper", shopper)
        if not self.profile.identifies_on(moment):
            return
        if self.profile.anonymous_activity == "discard" and not self.sdk.user_id:
            # The login screen resets the SDK, so the anonymous id is new.
            self.sdk.clear_identify()
        rule = self.profile.identify
        assert rule is not None
        identifier = shopper.user_id if rule.id == "user_id" else shopper.email
        traits: dict[str, Any] = {n: getattr(shopper, n) for n in rule.traits}
        self.sdk.identify(identifier, traits)
        web_id = self._web_anonymous_id()
        if web_id and self.profile.web_handoff == "alias":
            self.sdk.alias(web_id)

    def _identify_if(self, moment: str) -> None:
        shopper = self.sandbox.get("shopper")
        if shopper is not None and self.profile.identifies_on(moment):
            self._identify(shopper, moment)

    def _web_anonymous_id(self) -> str | None:
        referrer = self.sandbox.get("install_referrer")
        if not referrer:
            return None
        values = parse_qs(urlparse(referrer).query).get("ajs_aid")
        return values[0] if values else None

    def _ask_permission(self) -> None:
        provisional = (
            self.profile.provisional_on_ios and self.phone.profile.platform == "ios"
        )
        self.phone.request_permission(provisional=provisional)

    def _action(self, text: str, **data: Any) -> None:
        self._log(text, **data)

    def _log(self, text: str, **data: Any) -> None:
        self.context.journal.record(
            Entry(
                self.context.clock.now(),
                "app",
                "action",
                f"{self.phone.name}: {text}",
                device=self.phone.name,
                data=data,
            )
        )
