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
from .client import SdkClient
from .context import Context
from .inbox import InboxItem
from .legacy import LegacyConfig, LegacySdk, LegacyStore
from .sdk import MobileSdk, SdkConfig
from .storage import Sandbox
from .upgrade import SdkPair, UpgradedSdk

if TYPE_CHECKING:
    from ..people import Product, Shopper
    from .phone import EmulatedPhone


# A plain push carries only these: Customer.io's ids, and on Android the title
# and body it sends in the data message.
PLAIN_KEYS = {"CIO-Delivery-ID", "CIO-Delivery-Token", "title", "body"}


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
        self.screen: str | None = None
        self.prompts: list[str] = []
        if referrer:
            self.sandbox.set("install_referrer", referrer)
        self._install, self._updates = install, 0
        self.sdk: SdkClient = self._build_sdk()

    def update(self, profile: AppProfile) -> None:
        """Become the build ``profile`` describes, over the same sandbox.

        The caller ends the old build's process first (the OS does so for an
        update). The new build's SDK reads what the old one stored; a current
        SDK over a legacy one's data migrates it at its first start (see
        :class:`.upgrade.UpgradedSdk`).
        """
        old = self.profile
        self.sdk.stop()
        self.profile = profile
        self._updates += 1
        self.sdk = self._build_sdk()
        self._log(
            f"now {profile.name} {profile.version} ({profile.build}) on the "
            f"{profile.sdk.generation} SDK, was {old.version} ({old.build}) on the "
            f"{old.sdk.generation} SDK"
        )

    def _build_sdk(self) -> SdkClient:
        """Build the SDK generation the profile ships, over this sandbox."""
        phone, profile, context = self.phone, self.profile, self.context
        platform, sdk = phone.profile.platform, profile.sdk
        stream = f"sdk/{phone.name}/{self._install}"
        if self._updates:
            stream += f"/update-{self._updates}"
        ids = context.ids.child(stream)
        parts = (phone, self.sandbox, context.http, context.clock, ids, context.journal)
        legacy = LegacyConfig.of(profile, platform, context.track_auth)
        if sdk.generation == "legacy":
            return LegacySdk(legacy, *parts)
        config = SdkConfig(
            platform=platform,
            write_key=context.write_key,
            api_host=sdk.api_host,
            cdn_host=sdk.cdn_host,
            flush_at=sdk.flush_at,
            flush_interval=sdk.flush_interval,
            track_lifecycle=sdk.track_lifecycle,
            auto_track_push=sdk.auto_track_push,
            faults=frozenset(profile.faults),
        )
        store = LegacyStore(self.sandbox, platform, legacy.site_id)
        if not store.holds_data():
            return MobileSdk(config, *parts)
        if profile.has_fault("upgrade_duplicates_device"):
            return SdkPair(MobileSdk(config, *parts), LegacySdk(legacy, *parts))
        return UpgradedSdk(config, store, *parts)

    # -- OS callbacks ----------------------------------------------------------

    def started(self) -> None:
        """Run the app's start-up code: SDK init, the first-launch prompt."""
        first = not self.sandbox.get("launched")
        self.sandbox.set("launched", True)
        self._first_run = first  # a wrapper's own "first run" (FR-02)
        self.sdk.start()
        if first and self.profile.permission_prompt == "first_launch":
            self._ask_permission("first launch")

    def token_ready(self, token: str, *, generated: bool = False) -> None:
        """Pass the OS's push token to the SDK, as the app delegate does each launch.

        ``generated`` says the push service made the token just now (a first
        registration, onNewToken) rather than handing back the one it holds.
        The token-handing faults (FR-02, FR-04, FR-05, FR-06) change what the
        app passes on, or whether it does.
        """
        fault = self.profile.has_fault
        if fault("token_passed_on_first_run_only") and not self._first_run:
            self._log(
                "token not passed on after the first run [fault "
                "token_passed_on_first_run_only]"
            )
            return
        if fault("token_refresh_only_on_generation") and not generated:
            self._log(
                "token not passed on: it was fetched, not generated [fault "
                "token_refresh_only_on_generation]"
            )
            return
        cached = self.sdk.token
        if fault("restore_keeps_cached_token") and self.phone.restored_from and cached:
            self._log(
                "the backed-up token is reported, not the new phone's [fault "
                "restore_keeps_cached_token]"
            )
            token = cached
        elif fault("token_from_description") and self.phone.profile.platform == "ios":
            # String(describing:) of the token's NSData on iOS 13 and later.
            words = [token[i : i + 8] for i in range(0, len(token), 8)]
            head, tail = " ".join(words[:4]), " ".join(words[-2:])
            token = f"{{length = {len(token) // 2}, bytes = 0x{head} ... {tail} }}"
            self._log(f"token passed on as {token!r} [fault token_from_description]")
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
        delivery_id = self._tracked_delivery(item)
        if delivery_id is None:
            return
        android = self.phone.profile.platform == "android"
        if android or item.outcome.visible:
            self.sdk.report_delivered(delivery_id, item.notification.token)

    def notification_opened(self, item: InboxItem) -> None:
        """Report the open and follow the push's deep link."""
        delivery_id = self._tracked_delivery(item)
        if delivery_id is not None:
            self.sdk.report_metric("opened", delivery_id, item.notification.token)
        link = item.notification.data.get("link")
        if link:
            self.opened_links.append(link)
            self.screen = self._route(link)
            where = f"the {self.screen} screen" if self.screen else "the home screen"
            self._log(f"deep link {link} opened {where}")

    def _route(self, link: str) -> str | None:
        """Return the screen the app's deep-link routes send ``link`` to."""
        try:
            target = urlparse(link)
        except ValueError:  # a push may carry any text; no route matches it
            return None
        for screen, route in self.profile.deep_links.items():
            known = urlparse(route)
            if (target.scheme, target.netloc, target.path) == (
                known.scheme,
                known.netloc,
                known.path,
            ):
                return screen
        return None

    def _tracked_delivery(self, item: InboxItem) -> str | None:
        """Return the delivery id the push handler reports metrics for, if any."""
        if not (self.profile.sdk.auto_track_push and item.delivery_id):
            return None
        custom = set(item.notification.data) - PLAIN_KEYS
        if not custom and self.profile.has_fault("plain_push_metrics_missing"):
            self._log(
                f"no metrics for plain push {item.title!r} "
                "[fault plain_push_metrics_missing]"
            )
            return None
        return item.delivery_id

    # -- the shopper's actions -------------------------------------------------

    def log_in(self, shopper: Shopper) -> None:
        """Log in: identify per the profile, link the web session, maybe prompt."""
        self._action(
            f"logged in as {shopper.role} ({shopper.user_id})", shopper=shopper.role
        )
        self._identify(shopper, "login")
        if self.profile.permission_prompt == "after_login":
            self._ask_permission("after login")
        self.sdk.flush()

    def create_account(self, shopper: Shopper) -> None:
        """Sign up: identify if the profile does so on account creation."""
        self._action(
            f"{shopper.role} created account {shopper.user_id}", shopper=shopper.role
        )
        self._identify(shopper, "account_creation")
        if self.profile.permission_prompt == "after_login":
            self._ask_permission("after account creation")

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
        """Place the order; an app that asks after the first order asks now."""
        self._action("completed the order")
        self._identify_if("checkout")
        self._track(self.profile.events.order_completed, product.cart_properties(qty))
        if self.profile.permission_prompt == "after_order":
            self._ask_permission("after the order")

    def open_order_tracking(self, shopper: Shopper) -> None:
        """Open order tracking from the shipping email's link, which signs in."""
        self._action(f"opened order tracking as {shopper.role}", shopper=shopper.role)
        self._identify(shopper, "order_tracking")

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

    def _ask_permission(self, moment: str) -> None:
        self.prompts.append(moment)
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
