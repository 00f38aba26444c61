"""A real Chromium on the storefront page, driven through Appium's Chromium driver.

:class:`ChromiumBrowser` plays the browser steps of
:class:`~harness.device.browser.EmulatedBrowser` (visit, view, add_to_cart,
complete_order, log_in, log_out, enable_push, set_notifications,
clear_site_data, go_offline, go_online, close, reopen) on the page
``harness serve`` serves at ``/shop/`` (:mod:`harness.serve.storefront`), where
Customer.io's official browser SDK makes the calls. Each step clicks or types
with css selectors (the Chromium driver has no ``id`` locator), then waits, in
real time since Chromium is another process, until the SDK has finished its
calls and every upload has been answered by the served emulator (except
while offline, when the SDK holds them; going online waits for them).

How each step reaches the browser:

- notification permission: the W3C permissions route (``setPermissions``);
  headless Chromium denies a permission prompt at once, so the shopper's answer
  is set before the page asks (and a dismissed prompt is put back to ask);
- offline and clearing site data: Chrome DevTools commands through the
  driver's ``goog/cdp/execute`` route (``Network.emulateNetworkConditions``,
  ``Storage.clearDataForOrigin``); the permission outlives clearing, as in
  browsers;
- close and reopen: the Appium session ends and a new one starts on the same
  profile folder, so cookies and localStorage survive, as a browser restart
  keeps them (the permission, which the driver sets for one session only, is
  set again); reopening restores the last page, which sends its page call.

The session and the page's own state live in :mod:`.chromium_tab`.

Web Push cannot be subscribed here: Chromium's push service is Google's, out of
reach on this closed network. :meth:`ChromiumBrowser.enable_push` still has the
page ask for permission, then raises :class:`~harness.errors.Unsupported` once
it is granted.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from ..clock import Clock
from ..device.inbox import Inbox
from ..errors import ScenarioError, Unsupported
from ..journal import Entry, Journal, plural
from .chromium_tab import CHROMEDRIVER, CHROMIUM, ShopTab

if TYPE_CHECKING:
    from ..people import Product, Shopper

__all__ = ["ChromiumBrowser"]

logger = logging.getLogger(__name__)

WAIT = 15.0  # seconds; an SDK holding calls retries within 5 s of going online
ANSWERS = {"allow": "granted", "block": "denied", "dismiss": "prompt"}


class ChromiumBrowser:
    """Chromium on the storefront page, with the emulated browser's steps.

    ``shop_url`` is the page for one workspace, such as
    ``harness.serve.storefront.page_url(server.http_url, "default")``;
    ``appium_url`` is a running Appium with the Chromium driver
    (:class:`~harness.drivers.appium_server.AppiumServer`). Steps are written
    to ``journal`` under ``name`` at ``clock``'s time, as the emulated
    browser writes them. Chromium starts on first use; :meth:`quit` ends it
    and removes its profile folder.
    """

    def __init__(
        self,
        name: str,
        *,
        appium_url: str,
        shop_url: str,
        journal: Journal | None = None,
        clock: Clock | None = None,
        answers_prompt: str = "allow",
        chromium: str = CHROMIUM,
        chromedriver: str = CHROMEDRIVER,
        wait: float = WAIT,
    ) -> None:
        if answers_prompt not in ANSWERS:
            raise ScenarioError(
                f"answers_prompt {answers_prompt!r} is not a prompt answer; use "
                f"one of {', '.join(ANSWERS)}."
            )
        self.name, self.shop_url, self.answers_prompt = name, shop_url, answers_prompt
        self.journal = journal if journal is not None else Journal()
        self.clock = clock if clock is not None else Clock.live()
        self.inbox = Inbox()  # stays empty: Chromium cannot subscribe here
        self.running = True
        self._folder = Path(tempfile.mkdtemp(prefix="harness-chromium-"))
        # Removed when the browser is collected, should quit() never be called.
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._folder, True)
        self.tab = ShopTab(
            name,
            appium_url,
            shop_url,
            self._folder,
            chromium=chromium,
            chromedriver=chromedriver,
            wait=wait,
        )
        self._anonymous_id: str | None = None
        self._route = "/"
        self._restore = False

    @property
    def online(self) -> bool:
        """Tell whether the browser has the network."""
        return self.tab.online

    # -- identity --------------------------------------------------------------

    @property
    def anonymous_id(self) -> str:
        """Return the SDK's anonymous id (``analytics.user().anonymousId()``).

        Offline with no page open, it is read from the ``ajs_anonymous_id``
        cookie the SDK keeps.
        """
        if self.online or self._page_open():
            return str(self._state()["anonymousId"])
        stored = self.tab.cookie("ajs_anonymous_id")
        if stored is None:
            raise ScenarioError(
                f"{self.name} is offline and has never loaded the shop, so the SDK "
                "has made no anonymous id yet; call go_online() first."
            )
        return stored

    @property
    def user_id(self) -> str | None:
        """Return the SDK's user id, or None while anonymous."""
        if self.online or self._page_open():
            user_id = self._state()["userId"]
            return None if user_id is None else str(user_id)
        return self.tab.cookie("ajs_user_id")

    @property
    def permission(self) -> str:
        """Return the page's ``Notification.permission``."""
        return str(self._state()["permission"])

    def app_link(self) -> str:
        """Return the page's "open in the app" link, carrying the anonymous id."""
        self._state()
        link = self.tab.find("#open-in-app").get_attribute("href")
        return urljoin(self.shop_url, str(link))

    # -- the shopper's actions -------------------------------------------------

    def visit(self, path: str = "/") -> None:
        """Open a page of the shop: the SDK sends a page call."""
        if self._page_open():
            self.tab.go(path)
        else:
            self._running()
            self.tab.load(path)
        self._settle()

    def view(self, product: Product) -> None:
        """Open a product page from the catalog: a page call, then product_viewed."""
        self._product(product, "a.view").click()
        self._settle()

    def add_to_cart(self, product: Product, qty: int = 1) -> None:
        """Add a product to the cart from the catalog."""
        self._log("action", f"added {product.name} to the cart")
        self._quantity(product, qty)
        self._product(product, "button.add").click()
        self._settle()

    def complete_order(self, product: Product, qty: int = 1) -> None:
        """Place an order for the product ("Buy now")."""
        self._quantity(product, qty)
        self._product(product, "button.buy").click()
        self._settle()

    def log_in(self, shopper: Shopper) -> None:
        """Log in with the shopper's email; the SDK identifies the stable user id."""
        self._log("action", f"logged in as {shopper.user_id}")
        self._ensure_page()
        self.tab.type("#login-email", shopper.email)
        self.tab.type("#login-first-name", shopper.first_name)
        self.tab.type("#login-user-id", shopper.user_id)
        self.tab.find("#login").click()
        self._settle()

    def log_out(self) -> None:
        """Log out: the page calls ``reset()``, which drops both ids."""
        self._log("action", "logged out")
        self._ensure_page()
        self.tab.find("#logout").click()
        self._settle()

    # -- permission and web push -----------------------------------------------

    def enable_push(self) -> None:
        """Have the page ask for permission; refuse to subscribe once granted.

        Headless Chromium denies a prompt at once, so the shopper's answer is
        set before the page asks, and a dismissed prompt is put back to ask.
        """
        if self.permission == "default":
            answer = self.answers_prompt
            if answer != "dismiss":
                self.tab.set_permission(ANSWERS[answer])
            self.tab.find("#enable-push").click()
            self._settle()
            if answer == "dismiss":
                self.tab.set_permission("prompt")
            self._log("permission", f"notification prompt: the user chose {answer!r}")
        if self.permission == "granted":
            raise Unsupported(
                f"{self.name} is a real Chromium: it cannot subscribe to Web Push "
                "here, since its push service (Google's) is out of reach on this "
                "closed network. Notification permission is granted; use the "
                "emulated browser (a web device profile) for Web Push."
            )

    def set_notifications(self, enabled: bool) -> None:
        """Change the site's notification permission, as the browser's settings do."""
        self._ensure_page()
        self.tab.set_permission("granted" if enabled else "denied")
        self._log("permission", f"notifications {'allowed' if enabled else 'off'}")

    def clear_site_data(self) -> None:
        """Clear the site's cookies and storage; the permission stays.

        The tab is left blank, so no old id lingers in the SDK's memory; the
        next step loads the shop again.
        """
        permission = self.permission
        self.tab.clear_site_data()
        self._anonymous_id = None
        self._log(
            "site-data",
            "site data cleared: cookies and web SDK ids are gone; notification "
            f"permission stays {permission!r}",
        )

    # -- network and lifecycle -------------------------------------------------

    def go_offline(self) -> None:
        """Lose the network: the SDK holds its calls until online."""
        self.tab.network(False)
        self._log("network", "offline")

    def go_online(self) -> None:
        """Get the network back and wait for the SDK's held calls to land."""
        self.tab.network(True)
        self._log("network", "online again")
        if self._restore:
            self._restore = False
            self.tab.load(self._route)
        if not self._page_open():
            return
        held = int(self.tab.state()["pending"])
        self._settle()
        if held:
            self._log("network", f"{plural(held, 'held SDK call')} went out")

    def close(self) -> None:
        """Close the browser; its profile folder (cookies, storage) stays."""
        if self.tab.started:
            self.tab.blank()  # leaving the page lets the SDK store what it holds
            self.tab.quit()
        self.running = False
        self._log("lifecycle", "closed")

    def reopen(self) -> None:
        """Open the browser again on the last page, which sends its page call.

        Offline, the page cannot load; it does once :meth:`go_online` is called,
        and the SDK then sends the calls it held.
        """
        self.running = True
        self.tab.driver()
        if not self.online:
            self._restore = True
            self._log("lifecycle", "opened again, offline: the page waits")
            return
        self._log("lifecycle", "opened again")
        self.tab.load(self._route)
        self._settle()

    def reachable(self) -> bool:
        """Tell whether the browser is open and online."""
        return self.online and self.running

    def tap(self, item: Any) -> None:
        """Refuse: no push reaches this browser, so there is nothing to click."""
        raise Unsupported(
            f"{self.name} is a real Chromium without a Web Push subscription; "
            "it has no notification to click."
        )

    def quit(self) -> None:
        """End the browser for good and remove its profile folder."""
        self.tab.quit()
        self._cleanup()

    def __enter__(self) -> ChromiumBrowser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.quit()

    # -- the page ----------------------------------------------------------------

    def _running(self) -> None:
        if not self.running:
            raise ScenarioError(f"{self.name} is closed; call reopen() first.")

    def _page_open(self) -> bool:
        return self.running and self.tab.page_open()

    def _ensure_page(self) -> None:
        """Open the shop's home page first if the tab shows none (a page call)."""
        if self._page_open():
            return
        self._running()
        if not self.online:
            raise ScenarioError(
                f"{self.name} is offline with no page open, and the shop cannot "
                "load without the network; call go_online() first."
            )
        self.tab.load("/")
        self._settle()

    def _product(self, product: Product, part: str) -> Any:
        self._ensure_page()
        return self.tab.find(f'#products li[data-sku="{product.sku}"] {part}')

    def _quantity(self, product: Product, qty: int) -> None:
        self._ensure_page()
        self.tab.type(f'#products li[data-sku="{product.sku}"] input.qty', str(qty))

    def _state(self) -> dict[str, Any]:
        """Return the page's state, opening the shop first if needed."""
        self._ensure_page()
        state = self.tab.state()
        self._note(state)
        return state

    def _settle(self) -> None:
        self._note(self.tab.settle())

    def _note(self, state: dict[str, Any]) -> None:
        """Keep the id and route the page reports; journal the SDK's new calls."""
        self._anonymous_id = state.get("anonymousId") or self._anonymous_id
        self._route = state.get("route") or self._route
        for call in state.get("calls", []):
            self._journal_call(call)

    def _journal_call(self, call: dict[str, Any]) -> None:
        kind, name, status = call["type"], call["name"], call["status"]
        who = call["userId"] or f"anonymous {call['anonymousId']}"
        shown = "" if kind == "identify" else f" {name!r}"
        text = f"{kind}{shown} sent as {who}"
        if status is None:
            text += " (held: offline)" if not self.online else " (not answered yet)"
        elif not 200 <= status < 300:
            text += f" (answered {status})"
            logger.warning(
                "%s: the upload of %s was answered %s", self.name, kind, status
            )
        self._log("sdk", text, anonymous_id=call["anonymousId"])

    def _log(self, kind: str, text: str, anonymous_id: str | None = None) -> None:
        self.journal.record(
            Entry(
                self.clock.now(),
                "browser",
                kind,
                f"{self.name}: {text}",
                anonymous_id=anonymous_id or self._anonymous_id,
                device=self.name,
            )
        )
