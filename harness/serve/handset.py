"""One phone on the rack: the commands Appium's drivers give a phone, in its terms.

A :class:`Handset` wraps an :class:`~harness.device.phone.EmulatedPhone` under
its rack id and turns each control command into the phone's own calls, after
checking what a real device would check first (an app must be installed to be
launched, running to be used). Refusals say what the phone lacks and the step
that fixes it, in control API and Appium terms, since that is where they are
read. The wire layer (:mod:`.phone_routes`) turns the answers into JSON.

Named policies, where a real phone gives no single answer:

- ``install`` of the app already installed is an update in place when the
  build is newer; the same profile again changes nothing and says so
  (``already_installed``); an older build is refused as a downgrade
  (``version_downgrade``, Android's INSTALL_FAILED_VERSION_DOWNGRADE), and
  another profile of the same build or another bundle id is refused
  (``conflict``), since a rack phone runs one app and nothing would change.
- ``permission`` (Android's ``pm grant``/``pm revoke``, iOS's Settings switch)
  is the Settings toggle: a foreground app goes to the background first, and on
  Android 13+ a revoke ends the app's process.
- ``alert`` sets how the next notification prompt is answered: ``accept`` taps
  Allow, ``dismiss`` taps Don't Allow.
- ``push`` hands a payload to the phone as if its push service delivered it
  (iOS Simulator ``simctl push``; Android a debug receiver calling the app's
  message handler); the phone's OS then judges it like any other push, but
  one with nothing to show reaches the app and is ``not shown``
  (:mod:`.payloads` says how).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from ..apps import AppProfile
from ..device.inbox import InboxItem
from ..device.phone import EmulatedPhone
from ..journal import Entry
from ..people import Product, Shopper
from .echo import quoted
from .errors import PhoneRefused
from .payloads import Pushed, check, hand

logger = logging.getLogger(__name__)

# queryAppState's numbers (UiAutomator2; XCUITest agrees on 1, 3 and 4)
APP_STATES = {
    "not_installed": 0,
    "not_running": 1,
    "force_stopped": 1,
    "background": 3,
    "foreground": 4,
}
SAID = {
    "background": "in the background",
    "foreground": "in the foreground",
    "force_stopped": "force-stopped",
}
LISTED = 5  # the newest shown notifications a refused tap lists
IOS_CLEAR = (
    "iOS has no Clear data for an app: XCUITest's mobile: clearApp works on a "
    "Simulator only, by wiping the app's container, and a real iPhone offers no "
    "such step. Remove the app and install it again instead."
)


@dataclass
class Cart:
    """The product last added to the cart, which checkout and order use."""

    product: Product
    qty: int


class Handset:
    """A phone on the rack, under its id, in one workspace."""

    def __init__(self, phone_id: str, workspace: str, phone: EmulatedPhone) -> None:
        self.id, self.workspace, self.phone = phone_id, workspace, phone
        self.cart: Cart | None = None

    @property
    def label(self) -> str:
        """Return how refusals name this phone: its id, and its name if it differs."""
        name = self.phone.name
        return f"phone {self.id}" + ("" if self.id in name else f" ({name})")

    @property
    def app_state(self) -> int:
        """Return the app's state as Appium's queryAppState numbers it."""
        return APP_STATES.get(self.phone.state, 1)

    # -- lifecycle -------------------------------------------------------------

    def install(self, app: AppProfile, *, grant: bool = False) -> bool:
        """Install ``app`` or update it in place; tell whether it was there already.

        The same profile at the same build is left as it is; an older build is
        refused, as Android and iOS refuse a downgrade over an installed app.
        """
        phone = self.phone
        held = phone.app
        if held is not None:
            self._check_update(held.profile, app)
        already = held is not None and held.profile.name == app.name
        if held is None:
            phone.install(app)
        elif app.build > held.profile.build:
            phone.update_app(app)
        else:
            self._log(f"{app.name} build {app.build} is installed already; unchanged")
        if grant and phone.profile.platform == "android":
            phone.set_notifications(True)
        return already

    def _check_update(self, held: AppProfile, app: AppProfile) -> None:
        """Refuse what no phone installs over ``held``: another app, an old build."""
        remove = "(POST .../uninstall or mobile: removeApp)"
        if held.bundle_id != app.bundle_id:
            raise PhoneRefused(
                "conflict",
                f"{self.label} runs {held.bundle_id}; a rack phone runs one app, so "
                f"remove it first {remove} and then install {app.name}.",
            )
        if app.build < held.build:
            raise PhoneRefused(
                "version_downgrade",
                f"{self.label} has {held.name} build {held.build} of {app.bundle_id}, "
                f"and {app.name} is the older build {app.build}: "
                "INSTALL_FAILED_VERSION_DOWNGRADE on Android, and iOS installs no "
                f"older build over an app either. Uninstall first {remove}, then "
                f"install {app.name}.",
            )
        if app.build == held.build and app.name != held.name:
            raise PhoneRefused(
                "conflict",
                f"{self.label} has {held.name} build {held.build} of "
                f"{app.bundle_id}, and {app.name} is the same build, so installing "
                f"it over would change nothing; uninstall first {remove}, then "
                f"install {app.name}.",
            )

    def uninstall(self) -> None:
        """Remove the app: its storage goes, its token dies after the lag."""
        self._installed()
        self.phone.uninstall()
        self.cart = None

    def launch(self, bundle_id: str | None = None) -> None:
        """Start the app, or bring it back to the foreground."""
        self._installed(bundle_id)
        self.phone.launch()

    def terminate(self, bundle_id: str | None = None) -> bool:
        """Swipe the app away; tell whether it was running."""
        self._installed(bundle_id)
        running = self.phone.is_running()
        self.phone.swipe_away()
        return running

    def background(self, seconds: float) -> None:
        """Send the app to the background; back to the foreground unless < 0.

        The clock is not moved for ``seconds``: the app goes to the
        background and, for any ``seconds`` of 0 or more, comes straight back.
        """
        self._installed()
        if self.phone.state != "foreground":
            raise PhoneRefused(
                "not_running",
                f"{self.label}: the app is {_said(self.phone.state)}, not in the "
                "foreground, so there is nothing to send to the background; "
                "launch it first (POST .../launch or mobile: activateApp).",
            )
        self.phone.background()
        if seconds >= 0:
            self.phone.launch()

    def clear(self, bundle_id: str | None = None) -> None:
        """Clear the app's data (``pm clear``); Android only."""
        self._installed(bundle_id)
        if self.phone.profile.platform != "android":
            raise PhoneRefused(
                "unsupported", f"{self.label} is {self.phone.profile.name}: {IOS_CLEAR}"
            )
        self.phone.clear_data()

    # -- permission, network, links ---------------------------------------------

    def permission(self, grant: bool) -> None:
        """Grant or revoke notifications (pm on Android, Settings on iOS)."""
        self._installed()
        self.phone.set_notifications(grant)

    def alert(self, accept: bool) -> None:
        """Set how the next notification prompt is answered."""
        self.phone.answers_prompt = "allow" if accept else "deny"

    def online(self, online: bool) -> None:
        """Take the phone off the network or put it back."""
        if online and not self.phone.online:
            self.phone.go_online()
        elif not online and self.phone.online:
            self.phone.go_offline()

    def deeplink(self, url: str) -> str | None:
        """Open ``url`` in the app; return the screen it routes to, if any."""
        self._installed()
        self.phone.launch()
        app = self.phone.app
        assert app is not None
        app.opened_links.append(url)
        app.screen = _route(app.profile, url)
        where = f"the {app.screen} screen" if app.screen else "the home screen"
        self._log(f"deep link {url} opened {where}")
        return app.screen

    # -- push ------------------------------------------------------------------

    def push(self, payload: dict[str, Any]) -> Pushed:
        """Hand ``payload`` to the phone as if its push service delivered it."""
        phone = self.phone
        service = phone.profile.push.service
        check(payload, service)
        self._installed()
        if phone.token is None:
            raise PhoneRefused(
                "not_running",
                f"{self.label} has no push token yet: the app gets one at its first "
                "launch (online, and on Android with Google Play services); launch "
                "it first (POST .../launch or mobile: activateApp).",
            )
        return hand(phone, payload)

    def item(self, reference: str | int) -> InboxItem:
        """Return the notification ``reference`` names: a delivery id or a number."""
        items = self.phone.inbox.items
        for number, item in enumerate(items, start=1):
            if reference in (number, str(number), item.delivery_id):
                return item
        shown = [
            f"{n} ({item.delivery_id})" if item.delivery_id else str(n)
            for n, item in enumerate(items, start=1)
            if item.outcome.visible
        ][::-1]
        listed = ", ".join(shown[:LISTED]) + (", ..." if len(shown) > LISTED else "")
        raise PhoneRefused(
            "unknown_name",
            f"{self.label} shows no notification {quoted(reference)}; name one by "
            "the id or the CIO-Delivery-ID getNotifications lists"
            + (f" (newest first: {listed})." if shown else ", and it lists none now."),
        )

    def tap(self, reference: str | int) -> InboxItem:
        """Tap a notification: the app opens and reports the open."""
        self._installed()
        item = self.item(reference)
        self.phone.tap(item)
        return item

    # -- the shopper's actions -------------------------------------------------

    def log_in(self, shopper: Shopper) -> None:
        """Sign in as ``shopper``."""
        self._running().log_in(shopper)

    def create_account(self, shopper: Shopper) -> None:
        """Sign up as ``shopper``."""
        self._running().create_account(shopper)

    def log_out(self) -> None:
        """Sign out."""
        self._running().log_out()

    def view(self, product: Product) -> None:
        """Open a product page."""
        self._running().view(product)

    def add_to_cart(self, product: Product, qty: int) -> None:
        """Add ``qty`` of a product to the cart; checkout and order use it."""
        self._running().add_to_cart(product, qty)
        self.cart = Cart(product, qty)

    def start_checkout(self, product: Product | None, qty: int | None) -> None:
        """Open the checkout, for ``product`` or the cart."""
        cart = self._order(product, qty, "start_checkout")
        self._running().start_checkout(cart.product, cart.qty)

    def complete_order(self, product: Product | None, qty: int | None) -> None:
        """Place the order, for ``product`` or the cart; the cart empties."""
        cart = self._order(product, qty, "complete_order")
        self._running().complete_order(cart.product, cart.qty)
        self.cart = None

    def open_order_tracking(self, shopper: Shopper) -> None:
        """Open order tracking from the shipping email's link as ``shopper``."""
        self._running().open_order_tracking(shopper)

    def request_permission(self) -> None:
        """Have the app ask for notification permission now."""
        phone = self._running()
        app = phone.app
        assert app is not None
        ios = phone.profile.platform == "ios"
        phone.request_permission(provisional=ios and app.profile.provisional_on_ios)

    # -- checks ----------------------------------------------------------------

    def _order(self, product: Product | None, qty: int | None, action: str) -> Cart:
        if product is not None:
            return Cart(product, qty or 1)
        if self.cart is None:
            raise PhoneRefused(
                "invalid_request",
                f"{self.label}: {action} needs a product and the cart is empty; "
                'add one first (actions/add_to_cart {"sku": ...}) or name it '
                'here: {"sku": ...}.',
            )
        return Cart(self.cart.product, qty or self.cart.qty)

    def _installed(self, bundle_id: str | None = None) -> AppProfile:
        app = self.phone.app
        if app is None:
            raise PhoneRefused(
                "not_installed",
                f"{self.label} has no app installed; install the app first "
                '(POST .../install {"app": "reference"} or mobile: installApp).',
            )
        if bundle_id and bundle_id != app.profile.bundle_id:
            raise PhoneRefused(
                "not_installed",
                f"{self.label} has no app {bundle_id!r}; the app installed is "
                f"{app.profile.bundle_id}. Name that one, or install the other.",
            )
        return app.profile

    def _running(self) -> EmulatedPhone:
        self._installed()
        if not self.phone.is_running():
            raise PhoneRefused(
                "not_running",
                f"{self.label}: the app is {_said(self.phone.state)}, so its screens "
                "cannot be used; launch it first (POST .../launch or mobile: "
                "activateApp).",
            )
        return self.phone

    def _log(self, text: str) -> None:
        phone = self.phone
        phone.context.journal.record(
            Entry(
                phone.context.clock.now(),
                "app",
                "action",
                f"{phone.name}: {text}",
                device=phone.name,
            )
        )


def _said(state: str) -> str:
    """Return how a message says the app's state: "the app is <this>"."""
    return SAID.get(state, state.replace("_", " "))


def _route(app: AppProfile, link: str) -> str | None:
    """Return the screen the app's deep-link routes send ``link`` to, if any."""
    # the same match ShopApp makes for a push's link: scheme, host and path
    wanted = _place(link)
    return next(
        (screen for screen, route in app.deep_links.items() if _place(route) == wanted),
        None,
    )


def _place(link: str) -> tuple[str, str, str]:
    parsed = urlparse(link)
    return parsed.scheme, parsed.netloc, parsed.path
